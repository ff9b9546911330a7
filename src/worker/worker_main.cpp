// The worker: one process, one allocator, one repetition. Runs a workload's setup,
// measured phase and teardown, and prints one JSON object on stdout for the driver.
//
//   allocbench-worker-<backend> --identify
//   allocbench-worker-<backend> --workload NAME [--param K=V]... [--seed N] [--threads N] [--counting on|off]
#include "common/error.hpp"
#include "worker/counting.hpp"
#include "worker/identity.hpp"
#include "worker/measurement.hpp"
#include "workloads/workload.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>
#include <thread>

namespace allocbench {
namespace {

struct WorkerOptions {
  bool identify = false;
  std::string workload;
  std::vector<std::string> params;
  uint64_t seed = 1;
  unsigned threads = 0;
  std::string counting = "on";
};

nlohmann::json identity() {
  return {{"backend", ALLOCBENCH_BACKEND_NAME},
          {"backend_version", backend_version()},
          {"malloc_provider", malloc_provider()}};
}

// A worker whose malloc is not the allocator it is named for must never report.
void check_provider(const nlohmann::json& id) {
  std::string provider = id["malloc_provider"];
  if (provider.rfind(ALLOCBENCH_EXPECTED_PROVIDER, 0) != 0)
    throw run_error("malloc is provided by '{}', expected '{}*': this worker would not measure {}", provider,
                    ALLOCBENCH_EXPECTED_PROVIDER, ALLOCBENCH_BACKEND_NAME);
}

std::map<std::string, std::string> split_params(const std::vector<std::string>& params) {
  std::map<std::string, std::string> out;
  for (const auto& p : params) {
    auto eq = p.find('=');
    if (eq == std::string::npos) throw usage_error("--param '{}': expected NAME=VALUE", p);
    out[p.substr(0, eq)] = p.substr(eq + 1);
  }
  return out;
}

nlohmann::json run_once(const WorkerOptions& opt) {
  const WorkloadInfo& info = find_workload(opt.workload);
  WorkloadConfig cfg{resolve_params(info.name, info.params, split_params(opt.params)), opt.seed,
                     resolve_threads(info, opt.threads, std::thread::hardware_concurrency())};
  counting::set_enabled(opt.counting == "on");

  // Byte figures are the workload's own: relative to what the worker held before it.
  WorkloadOutcome outcome;
  counting::Snapshot before = counting::snapshot();
  int64_t unsized_before = counting::unsized_frees();
  auto workload = info.make(cfg);
  workload->setup();

  counting::begin_phase();
  bool rss_reset = reset_peak_rss();
  Usage usage_start = usage_now();
  int64_t t0 = steady_now_ns();
  workload->run();
  int64_t wall_ns = steady_now_ns() - t0;
  Usage usage = usage_now() - usage_start;
  std::optional<Rss> rss = read_rss();
  counting::PhaseCounts counts = counting::end_phase();

  workload->teardown();
  outcome = workload->outcome();
  workload.reset();
  int64_t live_at_end = counting::snapshot().live_bytes - before.live_bytes;
  int64_t unsized_frees = counting::unsized_frees() - unsized_before;

  nlohmann::json metrics = {
      {"wall_ns", wall_ns},
      {"cpu_user_ns", usage.cpu_user_ns},
      {"cpu_sys_ns", usage.cpu_sys_ns},
      {"ops_per_s", wall_ns > 0 ? static_cast<double>(outcome.ops) * 1e9 / static_cast<double>(wall_ns) : 0.0},
      {"minor_faults", usage.minor_faults},
      {"major_faults", usage.major_faults},
      {"ctx_switches_vol", usage.ctx_switches_vol},
      {"ctx_switches_invol", usage.ctx_switches_invol},
  };
  if (rss) {
    metrics["peak_rss_bytes"] = rss->peak_bytes;
    metrics["rss_end_bytes"] = rss->current_bytes;
  }
  if (counting::enabled()) {
    metrics["peak_live_bytes"] = counts.peak_live_bytes - before.live_bytes;
    metrics["allocs"] = counts.allocs;
    metrics["frees"] = counts.frees;
    metrics["bytes_allocated"] = counts.bytes_allocated;
    metrics["live_bytes_at_end"] = live_at_end;
  }
  nlohmann::json stats = nlohmann::json::object();
  for (const Stat& s : outcome.stats)
    if (!s.name.empty()) stats[std::string(s.name)] = s.value;

  nlohmann::json out = identity();
  out.update({{"workload", info.name},
              {"params", cfg.params},
              {"seed", cfg.seed},
              {"threads", cfg.threads},
              {"counting", counting::enabled()},
              {"checksum", fmt::format("{:016x}", outcome.checksum)},
              {"peak_live_error_bound", counts.peak_error_bound},
              {"peak_rss_reset", rss_reset},
              {"unsized_frees", unsized_frees},
              {"stats", stats},
              {"metrics", metrics}});
  return out;
}

int worker_main(int argc, char** argv) {
  CLI::App app{"allocbench worker for the '" ALLOCBENCH_BACKEND_NAME "' allocator: runs one repetition"};
  WorkerOptions opt;
  app.add_flag("--identify", opt.identify, "Print the backend's version and malloc provider, then exit.");
  app.add_option("--workload", opt.workload, "Workload to run.");
  app.add_option("--param", opt.params, "Workload parameter NAME=VALUE.");
  app.add_option("--seed", opt.seed, "Seed of the workload's random choices.");
  app.add_option("--threads", opt.threads, "Threads (0: the workload's default).");
  app.add_option("--counting", opt.counting, "Count allocations (on) or forward only (off).")
      ->check(CLI::IsMember({"on", "off"}));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : static_cast<int>(ExitCode::bad_input);
  }
  try {
    nlohmann::json id = identity();
    check_provider(id);
    if (opt.identify) {
      std::cout << id.dump() << '\n';
      return 0;
    }
    if (opt.workload.empty()) throw usage_error("--workload: required unless --identify is given");
    std::cout << run_once(opt).dump() << '\n' << std::flush;
    return 0;
  } catch (const Error& e) {
    std::fprintf(stderr, "allocbench-worker-%s: error: %s\n", ALLOCBENCH_BACKEND_NAME, e.what());
    return static_cast<int>(e.code());
  }
}

}  // namespace
}  // namespace allocbench

int main(int argc, char** argv) { return allocbench::worker_main(argc, argv); }
