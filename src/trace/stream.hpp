// Reads a trace file (format.hpp) as a stream of operations in recorded order, checking
// every byte. Memory holds one chunk per thread and an index of the chunks, never the
// operations: a trace of any length streams through.
#pragma once

#include "trace/format.hpp"
#include "trace/input_file.hpp"

#include <cstdint>
#include <memory>
#include <string>

namespace allocbench::trace {

struct Operation {
  uint64_t seq = 0, time_us = 0;
  uint64_t address = 0;   // what it frees, or what it allocated (realloc: what it frees)
  uint64_t address2 = 0;  // realloc: the new object's address
  uint64_t size = 0;      // allocations and realloc: requested bytes
  uint32_t thread = 0;    // dense: threads numbered in the recorder's order from 0
  Op op = Op::malloc_;
  uint8_t align_log2 = 0;
};

// Errors are usage errors (exit 2) naming the file and the byte offset of what is wrong.
class TraceStream {
 public:
  explicit TraceStream(const std::string& path);  // reads the header and indexes the chunks
  explicit TraceStream(const InputFile& file);     // the same, from a file that outlives it
  ~TraceStream();
  TraceStream(const TraceStream&) = delete;
  TraceStream& operator=(const TraceStream&) = delete;

  const std::string& path() const;
  unsigned threads() const;     // that recorded operations
  uint64_t operations() const;  // as the chunk headers count them
  bool complete() const;        // the end record is there: the program exited normally
  uint64_t dropped() const;     // calls after the trace was closed (other threads, at exit)

  // The next operation in recorded order; false after the last.
  bool next(Operation& out);

 private:
  struct State;
  std::unique_ptr<State> s_;
};

// Every check a full read makes, without pairing objects.
struct TraceShape {
  uint64_t operations = 0;
  unsigned threads = 0;
};
TraceShape check_trace(const std::string& path);

}  // namespace allocbench::trace
