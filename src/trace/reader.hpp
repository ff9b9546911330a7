// Reads a trace file (format.hpp): checks every byte, puts the operations of all
// threads in their recorded order, and gives each allocated object an identity
// (addresses are reused; objects are not). What `trace-info` prints and what the
// replay runs both come from here.
#pragma once

#include "trace/format.hpp"
#include "trace/mapped_vector.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace allocbench::trace {

inline constexpr uint32_t no_object = UINT32_MAX;

// One operation, as the replay runs it: everything it needs is in it, so that each
// thread reads its operations once, in order, and the replay holds no table of them.
// An object's pointer lives in a slot while the object is live: a slot of the thread
// that allocated it, reused after its free, or, for an object another thread frees,
// a slot of the shared table of its own.
struct ReplayOp {
  enum Flags : uint8_t {
    wait = 1,    // frees an object another thread allocated (old_slot is shared): wait until it exists
    notify = 2,  // allocates an object another thread frees (slot is shared): tell it
  };
  uint64_t size;      // allocations and realloc: the new object's requested bytes
  uint64_t old_size;  // frees and realloc: the freed object's requested bytes
  uint32_t slot;      // allocations and realloc: where the new object's pointer goes
  uint32_t old_slot;  // frees and realloc: where the freed object's is; no_object when the trace never allocated it
  Op op;
  Op old_op;          // frees: the call that allocated the freed object, whose counterpart frees it
  uint8_t align_log2, old_align_log2;
  uint8_t flags;
};

// An object the program never freed: freed after the phase by the thread that allocated
// it, from that thread's slots.
struct LiveObject {
  uint64_t size;
  uint32_t slot;
  uint32_t thread;
  Op op;
  uint8_t align_log2;
};

// Bucket i of sizes holds sizes up to size_bounds[i]; the last holds the rest.
inline constexpr std::array<uint64_t, 12> size_bounds = {16, 32, 64, 128, 256, 512, 1024, 4096,
                                                        16384, 65536, 262144, 1048576};
// Lifetimes in operations of the whole program between an allocation and its free.
inline constexpr std::array<uint64_t, 6> lifetime_bounds = {10, 100, 1000, 10000, 100000, 1000000};

struct TraceSummary {
  uint64_t operations = 0;
  unsigned threads = 0;
  bool complete = false;  // the end record is there: the program exited normally
  uint64_t dropped = 0;   // calls after the trace was closed (other threads, at exit)
  uint64_t duration_us = 0;
  std::array<uint64_t, static_cast<size_t>(Op::count_)> per_op{};
  uint64_t allocations = 0, frees = 0, bytes_allocated = 0;  // a realloc counts as a free and an allocation
  uint64_t peak_live_bytes = 0, peak_at = 0;                 // at operation peak_at (0-based)
  uint64_t live_objects_at_end = 0, live_bytes_at_end = 0;
  uint64_t unknown_frees = 0;     // of an address never allocated in the trace
  uint64_t double_frees = 0;      // of an address whose object was already freed
  uint64_t reused_addresses = 0;  // allocated again with no free seen: the older object stays live
  std::array<uint64_t, size_bounds.size() + 1> sizes{};
  std::array<uint64_t, lifetime_bounds.size() + 1> lifetimes{};  // freed objects only
  std::vector<uint64_t> operations_per_thread;
};

struct Trace {
  TraceSummary summary;
  mapped_vector<ReplayOp> ops;
  std::vector<size_t> thread_begin;  // thread t's operations: [thread_begin[t], thread_begin[t + 1])
  std::vector<uint32_t> local_slots; // per thread: the most objects it held at once
  uint32_t shared_slots = 0;         // objects freed by another thread than their allocator's
  mapped_vector<LiveObject> live_at_end;
};

// Throws a usage error (exit 2) naming the file and the byte offset of what is wrong.
Trace read_trace(const std::string& path);

// Every check read_trace makes, without resolving objects or building the replay.
struct TraceShape {
  uint64_t operations = 0;
  unsigned threads = 0;  // that recorded operations
};
TraceShape check_trace(const std::string& path);

}  // namespace allocbench::trace
