#include "driver/callgrind.hpp"

#include "common/error.hpp"
#include "driver/spawn.hpp"

#include <charconv>
#include <cstdint>
#include <algorithm>
#include <array>
#include <fstream>
#include <gnu/libc-version.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <map>
#include <sstream>

namespace allocbench {
namespace {

constexpr const char* install_hint = "install it with 'apt-get install valgrind' (make deps does)";

std::vector<std::string> words(std::string_view line) {
  std::vector<std::string> out;
  std::istringstream in{std::string(line)};
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

std::string first_line(std::string text) {
  auto nl = text.find('\n');
  return nl == std::string::npos ? text : text.substr(0, nl);
}

}  // namespace

Callgrind find_callgrind() {
  Callgrind c{"valgrind", ""};
  ProcessOutcome version = [&] {
    try {
      return run_process({c.valgrind, "--version"}, std::chrono::seconds(30));
    } catch (const Error&) {
      return ProcessOutcome{};
    }
  }();
  c.version = first_line(version.out);
  if (!version.ok() || c.version.rfind("valgrind-", 0) != 0)
    throw usage_error("--measure instructions: valgrind is not installed or does not run: {}", install_hint);
  return c;
}

void check_callgrind_runs(const Callgrind& c, const std::vector<std::string>& identify,
                          const std::vector<std::string>& environment) {
  std::vector<std::string> argv{c.valgrind, "--tool=callgrind", "-q", "--instr-atstart=no",
                                "--callgrind-out-file=/dev/null"};
  argv.insert(argv.end(), identify.begin(), identify.end());
  ProcessOutcome probe = run_process(argv, std::chrono::seconds(60), &environment);
  if (!probe.ok())
    throw usage_error("--measure instructions: {} cannot run '{}': it {}\n(if valgrind is incomplete, {})",
                      c.version, identify.front(), probe.describe_failure(), install_hint);
}

std::vector<std::string> callgrind_command(const Callgrind& c, const std::string& out_file) {
  // --fair-sched=yes: threads take turns in a fixed order, so that threaded workloads
  // count (nearly) the same every time; the default lock lets the kernel choose.
  std::vector<std::string> argv{c.valgrind, "--tool=callgrind", "-q", "--fair-sched=yes", "--instr-atstart=no",
                                "--cache-sim=yes"};
  for (const auto& cache : words(simulated_caches)) argv.push_back("--" + cache);
  argv.insert(argv.end(), {"--callgrind-out-file=" + out_file, "--dump-line=no", "--compress-strings=no",
                           "--compress-pos=no"});
  return argv;
}

namespace {

// The instruction-set extensions by which glibc (and the allocators) pick their string and
// memory routines at load time; valgrind passes the host's through. Another set runs other
// code, so other counts.
std::string code_choosing_features() {
  static constexpr std::array<std::string_view, 9> chosen{"sse4_2", "avx", "avx2", "bmi2", "erms", "fsrm",
                                                          "avx512f", "avx512bw", "avx512vl"};
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("flags", 0) != 0) continue;
    std::vector<std::string> flags = words(line.substr(line.find(':') + 1));
    std::vector<std::string_view> present;
    for (auto f : chosen)
      if (std::find(flags.begin(), flags.end(), f) != flags.end()) present.push_back(f);
    return fmt::format("{}", fmt::join(present, " "));
  }
  return "unknown";
}

}  // namespace

std::string callgrind_fingerprint(const Callgrind& c) {
  return fmt::format("{}, {}, glibc {}, cpu features: {}", c.version, simulated_caches, gnu_get_libc_version(),
                     code_choosing_features());
}

std::map<std::string, double> callgrind_costs(std::string_view text, const std::string& file) {
  std::vector<std::string> events;
  std::map<std::string, uint64_t> total;
  std::istringstream in{std::string(text)};
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> w = words(line);
    if (w.empty()) continue;
    if (w[0] == "events:") events.assign(w.begin() + 1, w.end());
    if (w[0] != "summary:" && w[0] != "totals:") continue;
    for (size_t i = 1; i < w.size() && i <= events.size(); ++i) {
      uint64_t n = 0;
      auto [end, ec] = std::from_chars(w[i].data(), w[i].data() + w[i].size(), n);
      if (ec != std::errc() || end != w[i].data() + w[i].size())
        throw run_error("callgrind's output '{}': {} '{}': expected a count, got '{}'", file, w[0], line, w[i]);
      total[events[i - 1]] = n;
    }
  }
  for (const char* e : {"Ir", "Dr", "Dw", "I1mr", "D1mr", "D1mw", "ILmr", "DLmr", "DLmw"})
    if (!total.count(e))
      throw run_error("callgrind's output '{}' has no total of {}: the worker did not run under the cache "
                      "simulation",
                      file, e);
  uint64_t accesses = total["Ir"] + total["Dr"] + total["Dw"];
  uint64_t l1_misses = total["I1mr"] + total["D1mr"] + total["D1mw"];
  uint64_t ll_misses = total["ILmr"] + total["DLmr"] + total["DLmw"];
  // iai-callgrind's estimate: an L1 hit costs 1, an LL hit 5, a trip to memory 35.
  uint64_t est_cycles = (accesses - l1_misses) + 5 * (l1_misses - ll_misses) + 35 * ll_misses;
  return {{"instructions", static_cast<double>(total["Ir"])},
          {"l1_misses", static_cast<double>(l1_misses)},
          {"ll_misses", static_cast<double>(ll_misses)},
          {"est_cycles", static_cast<double>(est_cycles)}};
}

}  // namespace allocbench
