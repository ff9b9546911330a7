#include "driver/plan.hpp"

#include "common/error.hpp"
#include "common/typed_value.hpp"
#include "report/report.hpp"
#include "results/sequential.hpp"
#include "workloads/command.hpp"

#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <thread>

namespace allocbench {

namespace {

// --workload values split at commas, but a cmd: command runs to the end of its value:
// a program's arguments may hold commas.
std::vector<std::string> split_workloads(const std::vector<std::string>& values) {
  std::vector<std::string> names;
  for (const auto& value : values) {
    for (size_t start = 0; start <= value.size();) {
      if (std::string_view(value).substr(start).starts_with(command_prefix)) {
        names.push_back(value.substr(start));
        break;
      }
      size_t comma = std::min(value.find(',', start), value.size());
      names.push_back(value.substr(start, comma - start));
      start = comma + 1;
    }
  }
  return names;
}

std::vector<const WorkloadInfo*> select_workloads(const std::vector<std::string>& values) {
  std::vector<std::string> spec = split_workloads(values);
  std::vector<const WorkloadInfo*> chosen;
  if (spec.size() == 1 && spec[0] == "all") {
    for (const auto* w : all_workloads())
      if (w->kind == WorkloadKind::standard) chosen.push_back(w);
    return chosen;
  }
  for (const auto& name : spec) {
    const WorkloadInfo* w = &find_workload(name);
    if (std::find(chosen.begin(), chosen.end(), w) != chosen.end())
      throw usage_error("--workload: '{}' is listed twice", name);
    chosen.push_back(w);
  }
  return chosen;
}

// WORKLOAD.NAME=VALUE → overrides per workload; the workload must be one that runs.
std::map<std::string, std::map<std::string, std::string>> split_params(
    const std::vector<std::string>& params, const std::vector<const WorkloadInfo*>& workloads) {
  std::map<std::string, std::map<std::string, std::string>> out;
  for (const auto& p : params) {
    // The last dot before '=': names have none, a trace's file name may.
    auto eq = p.find('=');
    auto dot = eq == std::string::npos ? p.rfind('.') : p.rfind('.', eq);
    if (dot == std::string::npos || eq == std::string::npos || dot > eq || dot == 0 || eq == dot + 1)
      throw usage_error("--param '{}': expected WORKLOAD.NAME=VALUE, e.g. small-object-churn.ops=1000000", p);
    std::string workload = p.substr(0, dot), name = p.substr(dot + 1, eq - dot - 1);
    if (std::none_of(workloads.begin(), workloads.end(), [&](auto* w) { return w->name == workload; })) {
      find_workload(workload);  // an unknown name gets the list of known ones
      throw usage_error("--param '{}': workload '{}' is not selected by --workload", p, workload);
    }
    if (!out[workload].emplace(name, p.substr(eq + 1)).second)
      throw usage_error("--param '{}': {}.{} is given twice", p, workload, name);
  }
  return out;
}

// --shard K/N, 1 <= K <= N: {K - 1, N}; {0, 1} when not given.
std::pair<size_t, size_t> parse_shard(std::string_view text) {
  if (text.empty()) return {0, 1};
  auto whole = [](std::string_view digits, size_t& value) {
    auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    return error == std::errc{} && end == digits.data() + digits.size();
  };
  size_t slash = text.find('/'), k = 0, n = 0;
  if (slash == std::string_view::npos || !whole(text.substr(0, slash), k) || !whole(text.substr(slash + 1), n) ||
      k < 1 || k > n)
    throw usage_error("--shard '{}': expected K/N with 1 <= K <= N, such as 2/3", text);
  return {k - 1, n};
}

int64_t parse_size(const std::string& text, std::string_view flag) {
  if (text.empty()) return 0;
  return parse_value({ValueType::bytes, 1, int64_t{1} << 50}, text, flag);
}

}  // namespace

Plan make_plan(const RunOptions& o) {
  find_reporter(o.format);
  bool auto_reps = o.reps == "auto";
  int reps = auto_reps ? auto_reps_start
                       : static_cast<int>(parse_value({ValueType::count, 1, 10000}, o.reps,
                                                      fmt::format("--reps '{}' (a count, or auto)", o.reps)));
  auto [shard, shards] = parse_shard(o.shard);
  if (o.format == "gbench" && o.measure == measure_instructions)
    throw usage_error("--format gbench: Google Benchmark's JSON holds times, and --measure instructions measures none");
  std::vector<BackendSpec> backends = parse_backend_specs(o.backends);
  std::vector<const WorkloadInfo*> workloads = select_workloads(o.workloads);
  auto overrides = split_params(o.params, workloads);

  Plan plan{o.measure, std::nullopt, {}, {}, reps, o.warmup, o.seed, o.counting == "on",
            std::chrono::milliseconds(static_cast<long long>(o.timeout_s * 1000)), o.fail_fast, o.leaks, 0, {}};
  plan.auto_reps = auto_reps;
  plan.max_reps = o.max_reps ? o.max_reps : auto_reps_max;
  plan.max_time_s = o.max_time.empty() ? 0 : parse_duration(o.max_time, "--max-time");
  if (!auto_reps && (o.max_reps || !o.max_time.empty()))
    throw usage_error("{}: bounds --reps auto: give --reps auto too", o.max_reps ? "--max-reps" : "--max-time");
  if (auto_reps && plan.max_reps < auto_reps_start)
    throw usage_error("--max-reps {}: below the {} repetitions --reps auto starts with", plan.max_reps, auto_reps_start);
  if (auto_reps && o.measure == measure_instructions)
    throw usage_error("--reps auto: instruction counts repeat exactly on one thread (one repetition suffices) and "
                      "within a few hundred instructions on several: give a fixed --reps (1, or 5 for threads)");
  plan.idle_ms = o.idle.empty() ? 0 : parse_duration(o.idle, "--idle") * 1000;
  plan.idle_purge = o.idle_purge;
  if (plan.idle_ms >= o.timeout_s * 1000)
    throw usage_error("--idle {}: a repetition idles that long after its phase, beyond --timeout {} s: raise --timeout",
                      o.idle, o.timeout_s);
  if (o.idle_purge && o.idle.empty()) throw usage_error("--idle-purge: purges before the idle of --idle: give --idle too");
  if (!o.idle.empty() && o.measure == measure_instructions)
    throw usage_error("--idle: memory after the phase is measured natively, in time: it does not apply to --measure "
                      "instructions (run it without)");
  if (o.leaks && !plan.counting) throw usage_error("--leaks: needs --counting on (leak sites come from the counted run)");
  plan.latency = o.latency;
  if (o.latency && o.measure == measure_instructions)
    throw usage_error("--latency: times calls on the machine's clock; under --measure instructions callgrind's time is not "
                      "a clock (run it without)");
  plan.budgets = {parse_size(o.max_rss, "--max-rss"), parse_size(o.max_live, "--max-live")};
  if (plan.budgets.max_live > 0 && !plan.counting)
    throw usage_error("--max-live: needs --counting on (live bytes come from the counted run)");
  // A budget's crossing moment comes from the timeline.
  if (o.timeline || plan.budgets.any()) plan.timeline_ms = o.timeline_ms;
  bool simulated = o.measure == measure_instructions;
  if (simulated && !plan.counting && plan.timeline_ms > 0)
    throw usage_error("{}: with --measure instructions, memory over time comes from the counted run, which "
                      "--counting off leaves out",
                      o.timeline ? "--timeline" : "--max-rss/--max-live");
  bool programs = std::any_of(workloads.begin(), workloads.end(), [](auto* w) { return w->kind == WorkloadKind::command; });
  if (programs && simulated)
    throw usage_error("--measure instructions: cmd: workloads run natively only (callgrind would measure the launcher)");
  if (programs && !o.idle.empty())
    throw usage_error("--idle: does not apply to cmd: workloads yet (the program's memory after its work could only be "
                      "seen from outside)");
  if (programs && o.latency)
    throw usage_error("--latency: does not apply to cmd: workloads yet (their calls are timed by no one)");
  if (programs && o.leaks) throw usage_error("--leaks: cmd: workloads have no leak sites (the counting library keeps none)");
  for (const auto* w : workloads) {
    ParamValues params = resolve_params(w->name, w->params, overrides[std::string(w->name)]);
    unsigned threads = resolve_threads(*w, o.threads, std::thread::hardware_concurrency());
    for (const auto& b : backends) plan.cells.push_back({b, w, params, threads, {}, std::nullopt});
  }
  // A shard's cells: the K-th of N contiguous blocks of the plan's (workload by workload,
  // so a workload's backends run side by side in one job wherever the blocks allow), the
  // same in every job that gives the same flags, and interleaved as in any run.
  if (shards > 1) {
    std::vector<Cell> mine;
    size_t cells = plan.cells.size();
    for (size_t c = shard * cells / shards; c < (shard + 1) * cells / shards; ++c) mine.push_back(std::move(plan.cells[c]));
    if (mine.empty())
      throw usage_error("--shard {}: the run has {} cells, so shard {} has none; use at most {} shards", o.shard,
                        plan.cells.size(), shard + 1, plan.cells.size());
    plan.cells = std::move(mine);
  }
  // With counting, the first warm-up round is the counted one (or an extra round without warm-ups).
  std::vector<JobKind> rounds;
  if (plan.counting) rounds.push_back(JobKind::counted);
  for (int i = plan.counting ? 1 : 0; i < o.warmup; ++i) rounds.push_back(JobKind::warmup);
  for (int i = 0; i < reps; ++i) {
    rounds.push_back(JobKind::measured);
    if (plan.latency) rounds.push_back(JobKind::latency);
  }
  std::map<JobKind, int> index;
  for (size_t r = 0; r < rounds.size(); ++r) {
    ++index[rounds[r]];
    for (size_t c = 0; c < plan.cells.size(); ++c)
      plan.jobs.push_back({c, static_cast<int>(r), rounds[r], index[rounds[r]]});
  }
  return plan;
}

std::vector<Job> more_repetitions(const Plan& plan, const std::vector<size_t>& cells, const std::vector<int>& have,
                                  int target, int look) {
  std::vector<Job> jobs;
  for (int index = 1; index <= target; ++index)
    for (JobKind kind : {JobKind::measured, JobKind::latency})
      for (size_t c : cells)
        if (index > have[c] && (kind == JobKind::measured || plan.latency))
          jobs.push_back({c, index - 1, kind, index, look});
  return jobs;
}

bool observed(const Plan& plan, const Job& job) {
  bool counted_observed = plan.counting && plan.cells[job.cell].workload->kind != WorkloadKind::command;
  return counted_observed ? job.kind == JobKind::counted : job.kind == JobKind::measured && job.index == 1;
}

std::vector<std::string> worker_argv(const Plan& plan, const Job& job) {
  const Cell& cell = plan.cells[job.cell];
  if (cell.workload->kind == WorkloadKind::command) {
    ALLOCBENCH_CHECK(cell.launch);  // prepared
    return launcher_argv(cell.workload->name, cell.backend, *cell.launch, job.kind == JobKind::counted,
                         observed(plan, job) ? plan.timeline_ms : 0);
  }
  std::vector<std::string> argv{worker_path(cell.backend.worker), "--workload", std::string(cell.workload->name),
                                "--seed",  std::to_string(plan.seed),  "--threads",
                                std::to_string(cell.threads), "--counting", job.kind == JobKind::counted ? "on" : "off"};
  for (const auto& [k, v] : cell.params) {
    argv.push_back("--param");
    argv.push_back(fmt::format("{}={}", k, v));
  }
  for (auto& arg : worker_spec_args(cell.backend)) argv.push_back(std::move(arg));
  if (plan.leaks && job.kind == JobKind::counted) argv.push_back("--leaks");
  if (job.kind == JobKind::latency) argv.push_back("--latency");
  if (!cell.prepared.empty()) argv.insert(argv.end(), {"--prepared", cell.prepared});
  // The observed repetition idles too, so that its timeline runs on through the idle (its
  // idle metrics are left out, as are all the counted run's measured ones).
  if (plan.idle_ms > 0 && (job.kind == JobKind::measured || (plan.timeline_ms > 0 && observed(plan, job)))) {
    argv.insert(argv.end(), {"--idle-ms", fmt::format("{}", plan.idle_ms)});
    if (plan.idle_purge) argv.push_back("--idle-purge");
  }
  if (plan.timeline_ms > 0 && observed(plan, job))
    argv.insert(argv.end(), {"--timeline-ms", fmt::format("{}", plan.timeline_ms)});
  return argv;
}

}  // namespace allocbench
