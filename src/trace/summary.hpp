// What a trace holds (trace-info): counts, sizes, peak live bytes, lifetimes, threads.
#pragma once

#include "trace/format.hpp"
#include "trace/objects.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace allocbench::trace {

// Bucket i of sizes holds sizes up to size_bounds[i]; the last holds the rest.
inline constexpr std::array<uint64_t, 12> size_bounds = {16, 32, 64, 128, 256, 512, 1024, 4096,
                                                        16384, 65536, 262144, 1048576};
// Lifetimes in operations of the whole program between an allocation and its free.
inline constexpr std::array<uint64_t, 6> lifetime_bounds = {10, 100, 1000, 10000, 100000, 1000000};
// The live-bytes curve: the most bytes live in each hundredth of the run's operations.
inline constexpr size_t live_curve_points = 100;

struct TraceSummary : Anomalies {
  uint64_t operations = 0;
  unsigned threads = 0;
  bool complete = false;  // the end record is there: the program exited normally
  uint64_t dropped = 0;   // calls after the trace was closed (other threads, at exit)
  uint64_t duration_us = 0;
  std::array<uint64_t, static_cast<size_t>(Op::count_)> per_op{};
  uint64_t allocations = 0, frees = 0, bytes_allocated = 0;  // a realloc counts as a free and an allocation
  uint64_t peak_live_bytes = 0, peak_at = 0;                 // at operation peak_at (0-based)
  uint64_t live_objects_at_end = 0, live_bytes_at_end = 0;
  std::array<uint64_t, size_bounds.size() + 1> sizes{};
  std::array<uint64_t, lifetime_bounds.size() + 1> lifetimes{};  // freed objects only
  std::array<uint64_t, live_curve_points> live_curve{};
  std::vector<uint64_t> operations_per_thread;
};

// Adds up a trace, operation by operation in recorded order (walk's visitor).
class SummaryBuilder {
 public:
  explicit SummaryBuilder(const TraceStream& in);
  void operator()(const Operation& op, uint64_t index, const Allocation* freed, const Allocation* made);
  // Completes the summary with what the walk counted.
  TraceSummary finish(const Anomalies& a);

 private:
  TraceSummary s_;
  uint64_t total_ = 0;  // operations in the trace
  int64_t live_ = 0, live_objects_ = 0;
  uint64_t first_time_ = 0, last_time_ = 0;
};

// Reads the whole trace: a usage error (exit 2) names the file and offset of what is wrong.
TraceSummary summarise_trace(const std::string& path);

}  // namespace allocbench::trace
