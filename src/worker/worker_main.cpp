// The worker: one process, one allocator, one repetition. Runs a workload's setup,
// measured phase and teardown, and prints one JSON object on stdout for the driver.
//
//   allocbench-worker-<backend> --identify
//   allocbench-worker-<backend> --tuning K=V,... --check-tuning
//   allocbench-worker-<backend> --workload NAME [--param K=V]... [--seed N] [--threads N] [--counting on|off]
//                               [--tuning K=V,...] [--preloaded FILE] [--prepared FILE]
#include "common/error.hpp"
#include "worker/backend.hpp"
#include "worker/counting.hpp"
#include "worker/identity.hpp"
#include "worker/leak_sites.hpp"
#include "worker/measurement.hpp"
#include "worker/timeline.hpp"
#include "worker/tuning.hpp"
#include "workloads/workload.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <valgrind/callgrind.h>

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
  std::string tuning;     // the allocator's settings, K=V,...
  bool check_tuning = false;
  std::string preloaded;  // file name of an allocator loaded with LD_PRELOAD
  bool leaks = false;     // record the sites of what is still live at the end
  double timeline_ms = 0; // sample live bytes and RSS this often (0: no timeline)
  std::string prepared;   // trace:FILE replays this prepared file (trace/prepared.hpp)
};

constexpr size_t leak_sites_shown = 10;

nlohmann::json leak_sites_json() {
  nlohmann::json sites = nlohmann::json::array();
  for (const auto& site : leak_sites::live_sites(leak_sites_shown)) {
    nlohmann::json frames = nlohmann::json::array();
    for (const auto& f : site.frames) frames.push_back({{"module", f.module}, {"offset", fmt::format("{:#x}", f.offset)}});
    sites.push_back({{"bytes", site.bytes}, {"count", site.count}, {"frames", frames}});
  }
  return sites;
}

nlohmann::json identity(const WorkerOptions& opt) {
  return {{"backend", ALLOCBENCH_BACKEND_NAME},
          {"backend_version", opt.preloaded.empty() ? backend_version() : preloaded_version()},
          {"malloc_provider", malloc_provider()}};
}

// A worker whose malloc is not the allocator it is named for must never report.
void check_provider(const nlohmann::json& id, const WorkerOptions& opt) {
  std::string provider = id["malloc_provider"];
  std::string expected = opt.preloaded.empty() ? ALLOCBENCH_EXPECTED_PROVIDER : opt.preloaded;
  if (provider.rfind(expected, 0) != 0)
    throw run_error("malloc is provided by '{}', expected '{}*': this worker would not measure {}", provider, expected,
                    opt.preloaded.empty() ? ALLOCBENCH_BACKEND_NAME : opt.preloaded);
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

nlohmann::json run_once(const WorkerOptions& opt, const Settings& settings) {
  nlohmann::json options = check_effective(backend_tuning(), ALLOCBENCH_BACKEND_NAME, settings);
  const WorkloadInfo& info = find_workload(opt.workload);
  if (!info.make) throw usage_error("--workload '{}': a program runs under allocbench-launcher, not a worker", info.name);
  WorkloadConfig cfg{info.name, resolve_params(info.name, info.params, split_params(opt.params)), opt.seed,
                     resolve_threads(info, opt.threads, std::thread::hardware_concurrency())};
  counting::set_enabled(opt.counting == "on");

  // Its memory is taken before the counts start: the workload's figures stay its own.
  std::optional<Timeline> timeline;
  if (opt.timeline_ms > 0) timeline.emplace(static_cast<int64_t>(opt.timeline_ms * 1e6));

  // Byte figures are the workload's own: relative to what the worker held before it.
  WorkloadOutcome outcome;
  counting::Snapshot before = counting::snapshot();
  int64_t unsized_before = counting::unsized_frees();
  if (opt.leaks) leak_sites::start();
  auto workload = info.make(cfg);
  workload->setup();
  // A replayed or profiled program had nothing live before its first call: its peak is
  // counted from the phase's start, without the replay's own threads and tables.
  bool from_phase = info.kind == WorkloadKind::recorded || info.kind == WorkloadKind::profiled;
  int64_t peak_base = from_phase ? counting::snapshot().live_bytes : before.live_bytes;
  int64_t harness_rss = workload->resident_harness_bytes();

  counting::begin_phase();
  bool rss_reset = reset_peak_rss();
  Usage usage_start = usage_now();
  int64_t t0 = steady_now_ns();
  if (timeline) timeline->begin(t0, peak_base, harness_rss);
  // Under callgrind (--measure instructions), the phase alone is counted; natively these
  // client requests are a few no-op instructions.
  CALLGRIND_START_INSTRUMENTATION;
  workload->run();
  CALLGRIND_STOP_INSTRUMENTATION;
  int64_t wall_ns = steady_now_ns() - t0;
  if (timeline) timeline->end();
  Usage usage = usage_now() - usage_start;
  std::optional<Rss> rss = read_rss();
  counting::PhaseCounts counts = counting::end_phase();
  // A preloaded allocator is not the one this worker's statistics code knows.
  AllocatorStats allocator = opt.preloaded.empty() ? allocator_stats() : AllocatorStats{};

  workload->teardown();
  outcome = workload->outcome();
  workload.reset();
  int64_t live_at_end = counting::snapshot().live_bytes - before.live_bytes;
  int64_t unsized_frees = counting::unsized_frees() - unsized_before;
  leak_sites::stop();

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
    metrics["peak_rss_bytes"] = rss->peak_bytes - harness_rss;
    metrics["rss_end_bytes"] = rss->current_bytes - harness_rss;
  }
  if (counting::enabled()) {
    metrics["peak_live_bytes"] = counts.peak_live_bytes - peak_base;
    metrics["allocs"] = counts.allocs;
    metrics["frees"] = counts.frees;
    metrics["bytes_allocated"] = counts.bytes_allocated;
    metrics["live_bytes_at_end"] = live_at_end;
  }
  nlohmann::json stats = nlohmann::json::object();
  for (const Stat& s : outcome.stats)
    if (!s.name.empty()) stats[std::string(s.name)] = s.value;

  nlohmann::json allocator_json = nlohmann::json::object();
  for (size_t i = 0; i < allocator.size; ++i) allocator_json[std::string(allocator.items[i].name)] = allocator.items[i].value;

  nlohmann::json out = identity(opt);
  out.update({{"options", options},
              {"workload", info.name},
              {"params", cfg.params},
              {"seed", cfg.seed},
              {"threads", cfg.threads},
              {"counting", counting::enabled()},
              {"checksum", fmt::format("{:016x}", outcome.checksum)},
              {"peak_live_error_bound", counts.peak_error_bound},
              {"peak_rss_reset", rss_reset},
              {"unsized_frees", unsized_frees},
              {"stats", stats},
              {"allocator_stats", allocator_json},
              {"metrics", metrics}});
  if (opt.leaks) out["leak_sites"] = leak_sites_json();
  if (timeline) out["timeline"] = timeline->to_json(counting::enabled());
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
  app.add_option("--tuning", opt.tuning,
                 "The allocator's settings, K=V,...: checked, and proved in effect where the allocator can tell.");
  app.add_flag("--check-tuning", opt.check_tuning,
               "Check --tuning, print the environment that carries it to the allocator, then exit.");
  app.add_option("--timeline-ms", opt.timeline_ms, "Sample live bytes and RSS this often, in ms, through the phase.")
      ->check(CLI::Range(0.1, 60000.0));
  app.add_flag("--leaks", opt.leaks, "Record the allocation site of every allocation still live at the end.");
  app.add_option("--preloaded", opt.preloaded, "File name of the allocator that LD_PRELOAD loads into this worker.");
  app.add_option("--prepared", opt.prepared, "The prepared replay of a trace: workload, made by the driver.");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : static_cast<int>(ExitCode::bad_input);
  }
  try {
    Settings settings;
    if (!opt.tuning.empty()) settings = parse_settings(backend_tuning(), ALLOCBENCH_BACKEND_NAME, opt.tuning);
    if (opt.check_tuning) {
      nlohmann::json canonical = nlohmann::json::array();
      for (const auto& [k, v] : settings) canonical.push_back(k + "=" + v);
      std::cout << nlohmann::json{{"settings", canonical}, {"environment", backend_tuning().environment(settings)}}.dump()
                << '\n';
      return 0;
    }
    nlohmann::json id = identity(opt);
    check_provider(id, opt);
    if (opt.identify) {
      id["tunables"] = describe_tuning(backend_tuning());
      id["malloc_provider_path"] = malloc_provider_path();
      std::cout << id.dump() << '\n';
      return 0;
    }
    if (opt.workload.empty()) throw usage_error("--workload: required unless --identify is given");
    if (opt.leaks && opt.counting != "on") throw usage_error("--leaks: needs --counting on");
    if (!opt.prepared.empty()) use_prepared_replay(opt.workload, opt.prepared);
    std::cout << run_once(opt, settings).dump() << '\n' << std::flush;
    return 0;
  } catch (const Error& e) {
    std::fprintf(stderr, "allocbench-worker-%s: error: %s\n", ALLOCBENCH_BACKEND_NAME, e.what());
    return static_cast<int>(e.code());
  }
}

}  // namespace
}  // namespace allocbench

int main(int argc, char** argv) { return allocbench::worker_main(argc, argv); }
