// What the worker measures around the phase: clocks, rusage and RSS of this process.
#pragma once

#include <cstdint>
#include <optional>

namespace allocbench {

struct Usage {
  int64_t cpu_user_ns = 0;
  int64_t cpu_sys_ns = 0;
  int64_t minor_faults = 0;
  int64_t major_faults = 0;
  int64_t ctx_switches_vol = 0;
  int64_t ctx_switches_invol = 0;
};

Usage usage_now();            // getrusage(RUSAGE_SELF): every thread of the process
Usage operator-(const Usage& a, const Usage& b);

int64_t steady_now_ns();

// Resets the kernel's peak-RSS mark to the current RSS (/proc/self/clear_refs "5");
// false where that is not permitted, and the peak then counts from process start.
bool reset_peak_rss();

struct Rss {
  int64_t peak_bytes = 0;     // VmHWM
  int64_t current_bytes = 0;  // VmRSS
};
std::optional<Rss> read_rss();

}  // namespace allocbench
