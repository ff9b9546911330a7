// Counting instructions instead of timing (--measure instructions): each timed repetition
// runs its worker under valgrind's callgrind, whose counts start and stop with the
// measured phase (client requests in the worker) and whose caches have a fixed geometry,
// so that any x86-64 machine counts the same.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace allocbench {

struct Callgrind {
  std::string valgrind;  // the executable, as found in PATH
  std::string version;   // "valgrind-3.19.0"
};

// The simulated caches: size, associativity and line size of each. Explicit, or valgrind
// would copy the host's, and another CPU would give other misses.
inline constexpr std::string_view simulated_caches = "I1=32768,8,64 D1=32768,8,64 LL=8388608,16,64";

// Finds valgrind; a usage error with the install hint when it is missing.
Callgrind find_callgrind();

// Checks that valgrind runs `identify` (a worker's command line that prints its identity)
// with `environment`; a usage error naming the worker and what went wrong when it cannot.
void check_callgrind_runs(const Callgrind& c, const std::vector<std::string>& identify,
                          const std::vector<std::string>& environment);

// The command that runs a worker (argv appended after it) under callgrind, writing the
// phase's counts to `out_file`.
std::vector<std::string> callgrind_command(const Callgrind& c, const std::string& out_file);

// The environment's fingerprint of this measurement, everything the counts depend on
// beyond the program: valgrind's version, the simulated caches, glibc's version and the
// CPU features that choose which code runs ("valgrind-3.19.0, I1=... LL=..., glibc 2.36,
// cpu features: sse4_2 avx avx2 bmi2 erms").
std::string callgrind_fingerprint(const Callgrind& c);

// The phase's costs from the text of callgrind's output file, as metrics: instructions,
// l1_misses, ll_misses, est_cycles. Throws a run error naming `file` when they are missing.
std::map<std::string, double> callgrind_costs(std::string_view text, const std::string& file);

}  // namespace allocbench
