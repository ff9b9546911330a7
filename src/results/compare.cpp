#include "results/compare.hpp"

#include "common/error.hpp"
#include "results/metrics.hpp"
#include "results/statistics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace allocbench {

double Thresholds::of(const std::string& name) const {
  auto it = metric.find(name);
  return it == metric.end() ? all : it->second;
}

const std::vector<std::string>& default_gated_metrics() {
  static const std::vector<std::string> metrics{"wall_ns", "instructions",    "est_cycles",        "peak_live_bytes",
                                                "allocs",  "bytes_allocated", "live_bytes_at_end", "peak_rss_bytes"};
  return metrics;
}

std::string_view to_string(Verdict v) {
  switch (v) {
    case Verdict::regression: return "regression";
    case Verdict::improvement: return "improvement";
    case Verdict::unchanged: return "unchanged";
    case Verdict::inconclusive: return "inconclusive";
    case Verdict::added: return "new";
    case Verdict::missing: return "missing";
    case Verdict::not_comparable: return "not comparable";
  }
  return "";
}

std::string_view to_string(Evidence e) {
  switch (e) {
    case Evidence::deterministic: return "deterministic";
    case Evidence::tested: return "tested";
    case Evidence::too_few_samples: return "too_few_samples";
    case Evidence::other_environment: return "other_environment";
    case Evidence::bounded: return "bounded";
    case Evidence::entry: return "entry";
  }
  return "";
}

std::string_view to_string(Estimator e) {
  switch (e) {
    case Estimator::median: return "median";
    case Estimator::min: return "min";
    case Estimator::max: return "max";
  }
  return "";
}

std::string_view to_string(Direction d) {
  switch (d) {
    case Direction::worse: return "worse";
    case Direction::better: return "better";
    case Direction::same: return "same";
  }
  return "";
}

int CompareReport::regressions() const {
  return static_cast<int>(std::count_if(rows.begin(), rows.end(), [](const Comparison& c) {
    return c.gated && c.verdict == Verdict::regression;
  }));
}

int CompareReport::inconclusive() const {
  return static_cast<int>(std::count_if(rows.begin(), rows.end(),
                                        [](const Comparison& c) { return c.verdict == Verdict::inconclusive; }));
}

int CompareReport::not_comparable() const {
  return static_cast<int>(std::count_if(rows.begin(), rows.end(),
                                        [](const Comparison& c) { return c.verdict == Verdict::not_comparable; }));
}

int CompareReport::judged() const {
  return static_cast<int>(
      std::count_if(rows.begin(), rows.end(), [](const Comparison& c) { return c.evidence != Evidence::entry; }));
}

// ── One metric ───────────────────────────────────────────────────────────────────

namespace {

// The tail in which the current samples lie when they are `worse` (or better) than the baseline's.
Tail tail_of(const MetricInfo& m, bool worse) {
  return (m.better == Better::lower) == worse ? Tail::greater : Tail::less;
}

}  // namespace

Estimate estimate(const Result& r, const std::string& metric) {
  const MetricInfo& m = *find_metric(metric);
  const Summary& s = r.metrics.at(metric);
  if (deterministic(m, r.threads)) return {s.median, Estimator::median};
  return m.better == Better::lower ? Estimate{s.min, Estimator::min} : Estimate{s.max, Estimator::max};
}

Comparison judge(const Result& base, const Result& cur, const std::string& metric, const CompareOptions& options,
                 bool same_environment) {
  const MetricInfo& m = *find_metric(metric);
  const Summary& b = base.metrics.at(metric);
  const Summary& c = cur.metrics.at(metric);
  Comparison row;
  row.key = key_of(cur);
  row.metric = metric;
  row.threshold = options.thresholds.of(metric);
  row.baseline_samples = b.samples.size();
  row.current_samples = c.samples.size();
  auto compare = [&](Estimator kind, double then, double now) {
    row.estimator = kind;
    row.baseline = then;
    row.current = now;
    row.change = bad_change(m, then, now);
    row.direction = row.change > 0 ? Direction::worse : row.change < 0 ? Direction::better : Direction::same;
  };
  compare(estimate(cur, metric).kind, estimate(base, metric).value, estimate(cur, metric).value);
  // --reps auto gives the sides different counts, and the best of 40 repetitions is lower
  // than the best of 5 by chance alone: the medians, which do not drift with the count, decide.
  if (options.looks > 1 && !deterministic(m, cur.threads) && m.source != Source::counted)
    compare(Estimator::median, b.median, c.median);

  if (deterministic(m, cur.threads)) {
    row.evidence = same_environment ? Evidence::deterministic : Evidence::other_environment;
    row.significant = true;
  } else if (m.name == "peak_live_bytes") {
    // The counted run's peak with threads: one sample, exact to within each entry's error
    // bound (threads publish their live bytes late). Only a difference beyond both bounds counts.
    // The counted run's other noisy figures (its system calls) have no such bound: one
    // sample a side, which the test below finds too few to decide.
    row.evidence = Evidence::bounded;
    row.bound = static_cast<double>(base.peak_live_error_bound + cur.peak_live_error_bound);
    row.significant = std::fabs(row.current - row.baseline) > row.bound;
  } else {
    // The test looks where the estimator moved (worse when it did not move): both must agree.
    bool worse = row.direction != Direction::better;
    UTest test = mann_whitney(b.samples, c.samples, tail_of(m, worse));
    UTest other = mann_whitney(b.samples, c.samples, tail_of(m, !worse));
    row.tested = true;
    row.exact = test.exact;
    row.p = test.p;
    row.smallest_p = test.smallest_p;
    row.significant = test.p < options.alpha;
    row.contradicted = other.p < options.alpha;
    if (row.contradicted) {
      // One lucky repetition moved the best one way, the repetitions as a whole went the
      // other. The median, which one repetition cannot move, decides with that test.
      compare(Estimator::median, b.median, c.median);
      bool agrees = row.direction == (worse ? Direction::better : Direction::worse);
      row.p = other.p;
      row.smallest_p = other.smallest_p;
      row.significant = agrees;
    }
    row.interval = ratio_interval(b.samples, c.samples, options.alpha);
    double widest = 1 + row.threshold;
    row.within_threshold = row.interval.low * widest >= 1 && row.interval.high <= widest;
    // Samples that cannot reach alpha decide nothing, unless nothing moved: identical counts
    // (as callgrind gives) tie completely, and are simply unchanged.
    bool undecidable = row.smallest_p >= options.alpha && row.direction != Direction::same;
    row.evidence = !same_environment ? Evidence::other_environment
                   : undecidable     ? Evidence::too_few_samples
                                     : Evidence::tested;
  }
  row.gated = row.evidence == Evidence::deterministic || row.evidence == Evidence::tested ||
              row.evidence == Evidence::bounded;
  // With too few samples, no test can decide: the threshold alone speaks, and is not gated.
  bool confirmed = row.significant || row.evidence == Evidence::too_few_samples;
  bool beyond = std::fabs(row.change) > row.threshold;
  row.verdict = !beyond || !confirmed              ? Verdict::unchanged
                : row.direction == Direction::worse ? Verdict::regression
                                                    : Verdict::improvement;
  return row;
}

// ── Entries ──────────────────────────────────────────────────────────────────────

namespace {

Comparison entry_row(const Result& r, Verdict v) {
  Comparison row;
  row.key = key_of(r);
  row.verdict = v;
  row.gated = false;
  return row;
}

template <typename T>
void add_once(std::vector<T>& list, T item) {
  if (std::find(list.begin(), list.end(), item) == list.end()) list.push_back(std::move(item));
}

// What may be gated across two entries' environments; notes each difference.
struct Fit {
  bool timed = true, simulated = true;
};

Fit environment_fit(const Environment& then, const Environment& now, CompareReport& report) {
  Fit fit;
  auto differs = [&](const char* field, const std::string& a, const std::string& b, bool stops_timed,
                     bool stops_simulated) {
    if (a == b) return;
    fit.timed = fit.timed && !stops_timed;
    fit.simulated = fit.simulated && !stops_simulated;
    add_once(report.environment_changes, EnvironmentChange{field, a, b, stops_timed, stops_simulated});
  };
  // Instruction counts do not depend on the CPU model or its cores, only on what runs.
  differs("cpu", then.cpu, now.cpu, true, false);
  differs("cores", std::to_string(then.cores), std::to_string(now.cores), true, false);
  differs("build type", then.build_type, now.build_type, true, true);
  differs("compiler", then.compiler, now.compiler, true, true);
  differs("valgrind", then.valgrind, now.valgrind, false, true);
  differs("kernel", then.kernel, now.kernel, false, false);
  differs("allocbench version", then.allocbench_version, now.allocbench_version, false, false);
  return fit;
}

void compare_pair(CompareReport& report, const Result& base, const Result& cur, const CompareOptions& options,
                  Fit fit) {
  ++report.matched;
  if (base.checksum != cur.checksum) {
    Comparison row = entry_row(cur, Verdict::not_comparable);
    row.baseline_checksum = base.checksum;
    row.current_checksum = cur.checksum;
    report.rows.push_back(row);
    return;
  }
  for (const auto& name : options.metrics) {
    bool in_base = base.metrics.count(name), in_cur = cur.metrics.count(name);
    if (in_base && in_cur) {
      Source source = find_metric(name)->source;
      bool same = source == Source::counted || (source == Source::simulated ? fit.simulated : fit.timed);
      report.rows.push_back(judge(base, cur, name, options, same));
    } else if (in_base != in_cur) {
      Comparison row = entry_row(cur, in_cur ? Verdict::added : Verdict::missing);
      row.metric = name;
      report.rows.push_back(row);
    }
  }
}

void order_rows(CompareReport& report) {
  auto rank = [](const Comparison& c) {
    switch (c.verdict) {
      case Verdict::not_comparable: return 0;
      case Verdict::regression: return c.gated ? 1 : 2;
      case Verdict::improvement: return 3;
      case Verdict::missing: return 4;
      case Verdict::added: return 5;
      case Verdict::inconclusive: return 6;
      case Verdict::unchanged: return 7;
    }
    return 7;
  };
  std::stable_sort(report.rows.begin(), report.rows.end(),
                   [&](const Comparison& a, const Comparison& b) { return rank(a) < rank(b); });
}

void note_unmeasured_metrics(CompareReport& report, const std::vector<const Results*>& sides,
                             const CompareOptions& options) {
  if (!options.metrics_given) return;  // the defaults name both wall time and instructions
  for (const auto& name : options.metrics) {
    bool anywhere = false;
    for (const Results* side : sides)
      for (const auto& r : side->results) anywhere = anywhere || r.metrics.count(name);
    if (!anywhere) report.unmeasured_metrics.push_back(name);
  }
}

}  // namespace

CompareReport compare_results(const Results& current, const Results& baseline, const CompareOptions& options,
                              std::string baseline_name) {
  CompareReport report;
  report.against = Against::baseline;
  report.against_name = std::move(baseline_name);
  report.alpha = options.alpha;
  report.looks = options.looks;
  report.ignore_env = options.ignore_env;
  note_unmeasured_metrics(report, {&current, &baseline}, options);

  std::map<ResultKey, const Result*> base_by_key;
  for (const auto& r : baseline.results) base_by_key[key_of(r)] = &r;
  for (const auto& cur : current.results) {
    auto it = base_by_key.find(key_of(cur));
    if (it == base_by_key.end()) {
      report.rows.push_back(entry_row(cur, Verdict::added));
      continue;
    }
    const Result& base = *it->second;
    base_by_key.erase(it);
    Fit fit = environment_fit(base.environment, cur.environment, report);
    if (base.backend_version != cur.backend_version) {  // another allocator is another program to count or time
      add_once(report.version_changes, VersionChange{cur.backend, base.backend_version, cur.backend_version});
      fit = {false, false};
    }
    compare_pair(report, base, cur, options, options.ignore_env ? Fit{} : fit);
  }
  for (const auto& [key, base] : base_by_key) report.rows.push_back(entry_row(*base, Verdict::missing));
  order_rows(report);
  return report;
}

CompareReport compare_to_reference(const Results& run, const std::string& reference, const CompareOptions& options) {
  CompareReport report;
  report.against = Against::reference;
  report.against_name = reference;
  report.alpha = options.alpha;
  report.looks = options.looks;
  note_unmeasured_metrics(report, {&run}, options);
  auto same_work = [](const Result& a, const Result& b) {
    return std::tie(a.workload, a.directory, a.measure, a.params, a.seed, a.threads) ==
           std::tie(b.workload, b.directory, b.measure, b.params, b.seed, b.threads);
  };
  for (const auto& ref : run.results) {
    if (ref.backend != reference) continue;
    for (const auto& other : run.results)
      if (other.backend != reference && same_work(other, ref)) compare_pair(report, ref, other, options, Fit{});
  }
  order_rows(report);
  return report;
}

}  // namespace allocbench
