// The worker: one process, one allocator, one repetition. Runs a workload's setup,
// measured phase and teardown, and prints one JSON object on stdout for the driver.
//
//   allocbench-worker-<backend> --identify
//   allocbench-worker-<backend> --settings K=V,... --check-settings
//   allocbench-worker-<backend> --workload NAME [--param K=V]... [--seed N] [--threads N] [--counting on|off]
//                               [--settings K=V,...] [--preloaded FILE] [--prepared FILE]
#include "common/error.hpp"
#include "worker/backend.hpp"
#include "counting/counting.hpp"
#include "worker/identity.hpp"
#include "worker/leak_sites.hpp"
#include "worker/measurement.hpp"
#include "results/repetition.hpp"
#include "counting/latency.hpp"
#include "worker/idle.hpp"
#include "worker/memory_syscalls.hpp"
#include "worker/settings.hpp"
#include "worker/timeline_sampler.hpp"
#include "workloads/workload.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <valgrind/callgrind.h>

#include <cstdio>
#include <functional>
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
  std::string settings;   // the allocator's settings, K=V,...
  bool check_settings = false;
  std::string preloaded;  // file name of an allocator loaded with LD_PRELOAD
  bool leaks = false;     // record the sites of what is still live at the end
  double timeline_ms = 0; // sample live bytes and RSS this often (0: no timeline)
  double idle_ms = 0;     // after teardown, idle this long and sample memory (0: no idle)
  bool idle_purge = false;  // first, the allocator's own release call
  bool latency = false;     // time every allocator call of the phase (run --latency)
  std::string prepared;   // trace:FILE replays this prepared file (trace/prepared.hpp)
};

constexpr size_t leak_sites_shown = 10;

// Raw frames, "MODULE+0xOFFSET": the driver names them, off the clock.
std::vector<LeakSite> leak_sites_found() {
  std::vector<LeakSite> sites;
  for (const auto& site : leak_sites::live_sites(leak_sites_shown)) {
    LeakSite s{site.bytes, site.count, {}};
    for (const auto& f : site.frames) s.stack.push_back(fmt::format("{}+{:#x}", f.module, f.offset));
    sites.push_back(std::move(s));
  }
  return sites;
}

std::string version(const WorkerOptions& opt) { return opt.preloaded.empty() ? backend_version() : preloaded_version(); }

// A worker whose malloc is not the allocator it is named for must never report.
void check_provider(const WorkerOptions& opt) {
  std::string provider = malloc_provider();
  std::string expected(opt.preloaded.empty() ? expected_provider() : opt.preloaded);
  if (provider.rfind(expected, 0) != 0)
    throw run_error("malloc is provided by '{}', expected '{}*': this worker would not measure {}", provider, expected,
                    opt.preloaded.empty() ? backend_name() : opt.preloaded);
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

// What the process holds and the allocator says it holds and has handed out, at a
// workload's own boundary.
BoundaryView boundary_view(bool own_allocator) {
  BoundaryView view;
  if (std::optional<Footprint> f = read_footprint()) view.held = f->held();
  if (!own_allocator) return view;  // a preloaded allocator is not the one this worker knows
  AllocatorStats stats = allocator_stats();
  int64_t mapped = 0;
  for (size_t i = 0; i < stats.size; ++i) {
    auto value = static_cast<int64_t>(stats.items[i].value);
    if (stats.items[i].name == "resident_bytes") view.resident = value;
    if (stats.items[i].name == "mapped_bytes") mapped = value;
    if (stats.items[i].name == "allocated_bytes") view.allocated = value;
  }
  if (view.resident == 0) view.resident = mapped;  // glibc knows only what it has mapped
  return view;
}

// A workload's boundaries: marked on the timeline, read, and timed, so that the phase's
// time leaves them out.
struct BoundaryReads {
  TimelineSampler* timeline;
  bool own_allocator;
  int64_t ns = 0;
  BoundaryView operator()() {
    int64_t start = steady_now_ns();
    if (timeline) timeline->mark();
    BoundaryView view = boundary_view(own_allocator);
    ns += steady_now_ns() - start;
    return view;
  }
};

// run --latency: the percentiles of each kind of call, overall and per size band, the
// timer's own cost, and the slowest calls.
void add_latency_figures(Repetition& rep) {
  auto& metrics = rep.metrics;
  for (size_t k = 0; k < latency::op_count; ++k) {
    auto op = static_cast<latency::Op>(k);
    latency::Percentiles p = latency::percentiles(op);
    if (p.count == 0) continue;
    std::string kind(call_kinds[k]);
    metrics[kind + "_calls_timed"] = static_cast<double>(p.count);
    metrics[kind + "_sum_ns"] = p.sum;
    for (auto [suffix, value] : {std::pair{"p50", p.p50}, {"p90", p.p90}, {"p99", p.p99}, {"p999", p.p999},
                                 {"p9999", p.p9999}, {"max", p.max}})
      metrics[fmt::format("{}_{}_ns", kind, suffix)] = value;
    if (p.faults_seen) {
      metrics[kind + "_faulted_calls"] = static_cast<double>(p.faulted);
      metrics[kind + "_p999_faulted_share"] = p.faulted_share_p999;
      metrics[kind + "_p9999_faulted_share"] = p.faulted_share_p9999;
    }
    for (size_t band = 0; band < latency::band_count; ++band) {
      latency::Percentiles b = latency::percentiles(op, band);
      if (b.count == 0) continue;
      std::string prefix = fmt::format("{}_{}_", kind, size_bands[band]);
      metrics[prefix + "calls_timed"] = static_cast<double>(b.count);
      for (auto [suffix, value] : {std::pair{"p50_ns", b.p50}, {"p99_ns", b.p99}, {"p999_ns", b.p999}, {"max_ns", b.max}})
        metrics[prefix + suffix] = value;
    }
  }
  metrics["latency_timer_ns"] = latency::timer().overhead_ticks * latency::timer().ns_per_tick;
  metrics["latency_resolution_ns"] = latency::timer().resolution_ticks * latency::timer().ns_per_tick;
  for (const latency::SlowCall& s : latency::slowest(slow_calls_kept)) {
    std::optional<bool> faulted;
    if (s.faulted >= 0) faulted = s.faulted == 1;
    rep.slow_calls.push_back({std::string(call_kinds[static_cast<size_t>(s.op)]), static_cast<int64_t>(s.size), s.thread, s.ns,
                              faulted, 0});
  }
}

Repetition run_once(const WorkerOptions& opt, const Settings& settings) {
  Repetition rep;
  rep.settings = check_effective(settings_schema(), backend_name(), settings);
  const WorkloadInfo& info = find_workload(opt.workload);
  if (!info.make) throw usage_error("--workload '{}': a program runs under allocbench-launcher, not a worker", info.name);
  // The driver gives the count it resolved (a trace's from its prepared replay).
  unsigned threads = opt.threads ? opt.threads : resolve_threads(info, 0, std::thread::hardware_concurrency());
  WorkloadConfig cfg{info.name, resolve_params(info.name, info.params, split_params(opt.params)), opt.seed, threads,
                     opt.prepared, {}};
  counting::set_enabled(opt.counting == "on");

  // Its memory is taken before the counts start: the workload's figures stay its own.
  std::optional<TimelineSampler> timeline;
  if (opt.timeline_ms > 0) timeline.emplace(static_cast<int64_t>(opt.timeline_ms * 1e6));
  // By reference: a std::function that held the state itself would allocate, which the
  // counting wrapper would see as the workload's.
  BoundaryReads boundaries{timeline ? &*timeline : nullptr, opt.preloaded.empty()};
  cfg.at_boundary = std::ref(boundaries);

  // Byte figures are the workload's own: relative to what the worker held before it.
  WorkloadOutcome outcome;
  std::optional<Footprint> footprint_before = opt.idle_ms > 0 ? read_footprint() : std::nullopt;
  if (opt.latency) latency::calibrate();
  counting::Snapshot before = counting::snapshot();
  int64_t unsized_before = counting::unsized_frees();
  if (opt.leaks) leak_sites::start();
  auto workload = info.make(cfg);
  workload->setup();
  // A replayed or profiled program had nothing live before its first call: its peak is
  // counted from the phase's start, without the replay's own threads and tables.
  bool from_phase = info.kind == WorkloadKind::trace || info.kind == WorkloadKind::profile;
  int64_t peak_base = from_phase ? counting::snapshot().live_bytes : before.live_bytes;
  int64_t harness_rss = workload->resident_harness_bytes();

  memory_syscalls::set_enabled(counting::enabled());
  memory_syscalls::Counts syscalls_before = memory_syscalls::snapshot();
  counting::begin_phase();
  bool rss_reset = reset_peak_rss();
  Usage usage_start = usage_now();
  int64_t t0 = steady_now_ns();
  if (timeline) timeline->begin(t0, peak_base, harness_rss);
  // Under callgrind (--measure instructions), the phase alone is counted; natively these
  // client requests are a few no-op instructions.
  CALLGRIND_START_INSTRUMENTATION;
  if (opt.latency) latency::start();
  workload->run();
  if (opt.latency) latency::stop();
  CALLGRIND_STOP_INSTRUMENTATION;
  int64_t wall_ns = steady_now_ns() - t0 - boundaries.ns;
  if (timeline) timeline->end();
  Usage usage = usage_now() - usage_start;
  std::optional<Rss> rss = read_rss();
  counting::PhaseCounts counts = counting::end_phase();
  memory_syscalls::Counts syscalls = memory_syscalls::snapshot() - syscalls_before;
  memory_syscalls::set_enabled(false);
  // A preloaded allocator is not the one this worker's statistics code knows.
  AllocatorStats allocator = opt.preloaded.empty() ? allocator_stats() : AllocatorStats{};

  workload->teardown();
  outcome = workload->outcome();
  // The idle comes after everything above was measured, with the workload's threads still
  // alive (parked): what the allocator keeps while a server's threads idle.
  std::map<std::string, double> idle_metrics;
  bool (*purge)() = opt.idle_purge && opt.preloaded.empty() ? &release_free_memory : nullptr;
  IdleCurve idle;
  if (footprint_before)
    idle = idle_and_sample(opt.idle_ms, purge, opt.preloaded.empty(), *footprint_before, harness_rss, idle_metrics);
  workload.reset();
  int64_t live_at_end = counting::snapshot().live_bytes - before.live_bytes;
  int64_t unsized_frees = counting::unsized_frees() - unsized_before;
  leak_sites::stop();

  rep.metrics = {
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
    rep.metrics["peak_rss_bytes"] = rss->peak_bytes - harness_rss;
    rep.metrics["rss_end_bytes"] = rss->current_bytes - harness_rss;
  }
  if (counting::enabled()) {
    rep.metrics["peak_live_bytes"] = counts.peak_live_bytes - peak_base;
    rep.metrics["allocs"] = counts.allocs;
    rep.metrics["frees"] = counts.frees;
    rep.metrics["bytes_allocated"] = counts.bytes_allocated;
    rep.metrics["live_bytes_at_end"] = live_at_end;
    if (returns_memory_through_libc() || !opt.preloaded.empty()) {  // a preloaded allocator: its own calls
      rep.metrics["madvise_calls"] = syscalls.madvise_calls;
      rep.metrics["madvise_bytes"] = syscalls.madvise_bytes;
      rep.metrics["madv_dontneed_bytes"] = syscalls.madv_dontneed_bytes;
      rep.metrics["madv_free_bytes"] = syscalls.madv_free_bytes;
      rep.metrics["munmap_calls"] = syscalls.munmap_calls;
      rep.metrics["munmap_bytes"] = syscalls.munmap_bytes;
      rep.metrics["mremap_calls"] = syscalls.mremap_calls;
      rep.metrics["return_syscalls_ns"] = syscalls.ns;
    }
  }
  if (opt.latency) {
    add_latency_figures(rep);
    rep.metrics["latency_phase_ns"] = wall_ns;  // its phase, slowed by the timing: the timing's cost
  }
  for (const Stat& s : outcome.stats)
    if (!s.name.empty()) rep.stats[std::string(s.name)] = s.value;
  for (size_t i = 0; i < allocator.size; ++i) rep.allocator_stats[std::string(allocator.items[i].name)] = allocator.items[i].value;

  rep.backend = backend_name();
  rep.backend_version = version(opt);
  rep.malloc_provider = malloc_provider();
  rep.workload = info.name;
  rep.params = cfg.params;
  rep.seed = cfg.seed;
  rep.threads = cfg.threads;
  rep.counting = counting::enabled();
  rep.checksum = fmt::format("{:016x}", outcome.checksum);
  rep.peak_live_error_bound = counts.peak_error_bound;
  rep.peak_rss_reset = rss_reset;
  rep.unsized_frees = unsized_frees;
  if (opt.leaks) rep.leak_sites = leak_sites_found();
  if (timeline) {
    rep.timeline = timeline->samples(counting::enabled());
    for (auto [ms, held] : idle.held) {  // on the phase's clock, less the harness as the RSS above
      rep.timeline.idle_t_ms.push_back(static_cast<double>(idle.start_ns - t0) / 1e6 + ms);
      rep.timeline.idle_held_bytes.push_back(held - static_cast<double>(harness_rss));
    }
  }
  rep.metrics.merge(idle_metrics);
  return rep;
}

int worker_main(int argc, char** argv) {
  CLI::App app{fmt::format("allocbench worker for the '{}' allocator: runs one repetition", backend_name())};
  WorkerOptions opt;
  app.add_flag("--identify", opt.identify, "Print the backend's version and malloc provider, then exit.");
  app.add_option("--workload", opt.workload, "Workload to run.");
  app.add_option("--param", opt.params, "Workload parameter NAME=VALUE.");
  app.add_option("--seed", opt.seed, "Seed of the workload's random choices.");
  app.add_option("--threads", opt.threads, "Threads, as the driver resolved them (0: the workload's default).");
  app.add_option("--counting", opt.counting, "Count allocations (on) or forward only (off).")
      ->check(CLI::IsMember({"on", "off"}));
  app.add_option("--settings", opt.settings,
                 "The allocator's settings, K=V,...: checked, and proved in effect where the allocator can tell.");
  app.add_flag("--check-settings", opt.check_settings,
               "Check --settings, print the environment that carries them to the allocator, then exit.");
  app.add_option("--idle-ms", opt.idle_ms, "After teardown, idle this long (ms) and sample the memory kept.")
      ->check(CLI::Range(0.0, 1e9));
  app.add_flag("--latency", opt.latency, "Time every allocator call of the phase (run --latency).");
  app.add_flag("--idle-purge", opt.idle_purge, "Before the idle, call the allocator's own release of free memory.");
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
    if (!opt.settings.empty()) settings = parse_settings(settings_schema(), backend_name(), opt.settings);
    if (opt.check_settings) {
      nlohmann::json canonical = nlohmann::json::array();
      for (const auto& [k, v] : settings) canonical.push_back(k + "=" + v);
      std::cout << nlohmann::json{{"settings", canonical}, {"environment", settings_schema().environment(settings)}}.dump()
                << '\n';
      return 0;
    }
    check_provider(opt);
    if (opt.identify) {
      std::cout << nlohmann::json{{"backend", backend_name()},
                                  {"backend_version", version(opt)},
                                  {"malloc_provider", malloc_provider()},
                                  {"malloc_provider_path", malloc_provider_path()},
                                  {"settings", describe_settings(settings_schema())}}
                       .dump()
                << '\n';
      return 0;
    }
    if (opt.workload.empty()) throw usage_error("--workload: required unless --identify is given");
    if (opt.leaks && opt.counting != "on") throw usage_error("--leaks: needs --counting on");
    std::cout << repetition_text(run_once(opt, settings)) << '\n' << std::flush;
    return 0;
  } catch (const Error& e) {
    std::fprintf(stderr, "allocbench-worker-%.*s: error: %s\n", static_cast<int>(backend_name().size()),
                 backend_name().data(), e.what());
    return static_cast<int>(e.code());
  }
}

}  // namespace
}  // namespace allocbench

int main(int argc, char** argv) { return allocbench::worker_main(argc, argv); }
