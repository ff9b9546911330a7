#include "worker/measurement.hpp"

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstring>

namespace allocbench {
namespace {

int64_t to_ns(const timeval& tv) { return int64_t{tv.tv_sec} * 1'000'000'000 + int64_t{tv.tv_usec} * 1000; }

}  // namespace

Usage usage_now() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return {to_ns(ru.ru_utime), to_ns(ru.ru_stime), ru.ru_minflt, ru.ru_majflt, ru.ru_nvcsw, ru.ru_nivcsw};
}

Usage operator-(const Usage& a, const Usage& b) {
  return {a.cpu_user_ns - b.cpu_user_ns,           a.cpu_sys_ns - b.cpu_sys_ns,
          a.minor_faults - b.minor_faults,         a.major_faults - b.major_faults,
          a.ctx_switches_vol - b.ctx_switches_vol, a.ctx_switches_invol - b.ctx_switches_invol};
}

int64_t steady_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// stdio, not iostreams: this runs next to the measured phase and should stay small.
bool reset_peak_rss() {
  std::FILE* f = std::fopen("/proc/self/clear_refs", "w");
  if (!f) return false;
  bool ok = std::fputs("5", f) >= 0;
  return std::fclose(f) == 0 && ok;
}

std::optional<Rss> read_rss() {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (!f) return std::nullopt;
  Rss rss;
  int found = 0;
  char line[256];
  while (std::fgets(line, sizeof line, f)) {
    long long kib = 0;
    if (std::sscanf(line, "VmHWM: %lld kB", &kib) == 1) rss.peak_bytes = kib * 1024, ++found;
    else if (std::sscanf(line, "VmRSS: %lld kB", &kib) == 1) rss.current_bytes = kib * 1024, ++found;
  }
  std::fclose(f);
  if (found != 2) return std::nullopt;
  return rss;
}

}  // namespace allocbench
