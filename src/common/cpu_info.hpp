// What the machine says of its CPUs, from /proc and /sys (Linux): for the environment of
// a run and the context of Google Benchmark's JSON.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace allocbench {

// The first value of `key` in /proc/cpuinfo ("model name", "cpu MHz"); empty when absent.
std::string cpuinfo_field(std::string_view key);

struct CpuCache {
  std::string type;  // "Data", "Instruction", "Unified"
  int level = 0;
  long long size = 0;  // bytes
  int num_sharing = 0;  // CPUs that share it
};

// Whether the TSC is invariant (CPUID 0x80000007 EDX bit 8): a constant rate in every
// P-, C- and T-state, so a clock for run --latency.
bool invariant_tsc();

// CPU 0's caches as sysfs lists them; none where sysfs does not (some virtual machines).
std::vector<CpuCache> cpu_caches();

}  // namespace allocbench
