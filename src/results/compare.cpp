#include "results/compare.hpp"

#include "common/error.hpp"
#include "results/baseline.hpp"
#include "results/metrics.hpp"
#include "results/statistics.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <sstream>

namespace allocbench {

// ── Options ──────────────────────────────────────────────────────────────────────

double Thresholds::of(const std::string& name) const {
  auto it = metric.find(name);
  return it == metric.end() ? all : it->second;
}

namespace {

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, sep);) parts.push_back(part);
  return parts;
}

std::string known_metrics() {
  std::vector<std::string_view> names;
  for (const auto& m : metric_table()) names.push_back(m.name);
  return fmt::format("{}, or allocator.<statistic> such as allocator.resident_bytes (see run --stats)",
                     fmt::join(names, ", "));
}

void check_metric_name(const std::string& name, std::string_view flag) {
  if (!find_metric(name)) throw usage_error("{}: unknown metric '{}'; known: {}", flag, name, known_metrics());
}

}  // namespace

Thresholds parse_thresholds(const std::string& text) {
  Thresholds t;
  for (const std::string& part : split(text, ',')) {
    auto eq = part.find('=');
    std::string name = eq == std::string::npos ? "" : part.substr(0, eq);
    std::string value = eq == std::string::npos ? part : part.substr(eq + 1);
    double percent = -1;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), percent);
    if (ec != std::errc() || end != value.data() + value.size() || !std::isfinite(percent) || percent < 0 ||
        percent > 1e6)
      throw usage_error("--threshold '{}': expected a percentage >= 0 such as 5, or METRIC=PERCENT such as "
                        "wall_ns=10, got '{}'",
                        text, value);
    if (name.empty()) {
      t.all = percent / 100;
    } else {
      check_metric_name(name, "--threshold");
      t.metric[name] = percent / 100;
    }
  }
  return t;
}

const std::vector<std::string>& default_gated_metrics() {
  static const std::vector<std::string> metrics{"wall_ns",         "peak_live_bytes",   "allocs",
                                                "bytes_allocated", "live_bytes_at_end", "peak_rss_bytes"};
  return metrics;
}

std::vector<std::string> parse_metric_list(const std::string& text) {
  std::vector<std::string> metrics;
  if (text == "all") {
    for (const auto& m : metric_table()) metrics.emplace_back(m.name);
    return metrics;
  }
  for (const std::string& name : split(text, ',')) {
    check_metric_name(name, "--metric");
    metrics.push_back(name);
  }
  if (metrics.empty()) throw usage_error("--metric: expected 'all' or metric names, got ''");
  return metrics;
}

std::string_view to_string(Verdict v) {
  switch (v) {
    case Verdict::regression: return "regression";
    case Verdict::improvement: return "improvement";
    case Verdict::unchanged: return "unchanged";
    case Verdict::added: return "new";
    case Verdict::missing: return "missing";
  }
  return "";
}

int CompareReport::regressions() const {
  return static_cast<int>(std::count_if(rows.begin(), rows.end(), [](const Comparison& c) {
    return c.gated && c.verdict == Verdict::regression;
  }));
}

// ── Verdicts ─────────────────────────────────────────────────────────────────────

namespace {

bool deterministic(const MetricInfo& m, const Result& r) {
  return m.deterministic && (m.name != "peak_live_bytes" || r.threads == 1);
}

// Positive when `current` is worse than `baseline`.
double bad_change(const MetricInfo& m, double baseline, double current) {
  if (baseline == current) return 0;
  if (m.better == Better::lower)
    return baseline == 0 ? std::numeric_limits<double>::infinity() : current / baseline - 1;
  return current == 0 ? std::numeric_limits<double>::infinity() : baseline / current - 1;
}

Comparison row_for(const Result& r, std::string metric) {
  Comparison row;
  row.backend = r.backend;
  row.workload = r.workload;
  row.params = params_text(r.params);
  row.metric = std::move(metric);
  return row;
}

}  // namespace

Estimate estimate(const Result& r, const std::string& metric) {
  const MetricInfo& m = *find_metric(metric);
  const Summary& s = r.metrics.at(metric);
  if (deterministic(m, r)) return {s.median, "median"};
  bool lower = m.better == Better::lower;
  return {lower ? s.min : s.max, fmt::format("{} of {}", lower ? "min" : "max", s.samples.size())};
}

Comparison judge(const Result& base, const Result& cur, const std::string& metric, const CompareOptions& options,
                 bool timed_gated) {
  const MetricInfo& m = *find_metric(metric);
  const Summary& b = base.metrics.at(metric);
  const Summary& c = cur.metrics.at(metric);
  Comparison row = row_for(cur, metric);
  row.threshold = options.thresholds.of(metric);
  auto judge_change = [&](bool significant) {
    row.change = bad_change(m, row.baseline, row.current);
    bool worse = row.change > row.threshold, better = row.change < -row.threshold;
    if ((worse || better) && !significant) row.evidence += " (not significant)";
    row.verdict = !significant ? Verdict::unchanged
                  : worse      ? Verdict::regression
                  : better     ? Verdict::improvement
                               : Verdict::unchanged;
  };

  Estimate now = estimate(cur, metric);
  row.estimator = now.name;
  row.baseline = estimate(base, metric).value;
  row.current = now.value;
  if (deterministic(m, cur)) {
    row.evidence = "deterministic";
    judge_change(true);
    return row;
  }

  row.gated = timed_gated;
  if (smallest_p(b.samples.size(), c.samples.size()) >= options.alpha) {
    // No test can decide: say what the threshold alone says, and do not gate on it.
    row.evidence = fmt::format("too few samples ({} vs {}): no test can reach p < {}", b.samples.size(),
                               c.samples.size(), options.alpha);
    row.gated = false;
    judge_change(true);
    return row;
  }
  row.p_value = mann_whitney_p(b.samples, c.samples);
  row.evidence = fmt::format("p = {:.3f}", row.p_value);
  judge_change(row.p_value < options.alpha);
  return row;
}

namespace {

void add_entry(CompareReport& report, const Result& r, Verdict v, const std::string& why) {
  Comparison row = row_for(r, "");
  row.verdict = v;
  row.evidence = why;
  row.gated = false;
  report.rows.push_back(row);
}

void compare_pair(CompareReport& report, const Result& base, const Result& cur, const CompareOptions& options,
                  bool timed_gated) {
  if (base.checksum != cur.checksum)
    report.notes.push_back(fmt::format("{} on {}: the checksum differs ({} then, {} now): the workload does "
                                       "different work than when the baseline was taken",
                                       cur.workload, cur.backend, base.checksum, cur.checksum));
  for (const auto& name : options.metrics) {
    bool in_base = base.metrics.count(name), in_cur = cur.metrics.count(name);
    if (in_base && in_cur) {
      report.rows.push_back(judge(base, cur, name, options, timed_gated));
    } else if (in_base != in_cur) {
      Comparison row = row_for(cur, name);
      row.verdict = in_cur ? Verdict::added : Verdict::missing;
      row.evidence = in_cur ? "not in the baseline" : "not measured now (--counting off?)";
      row.gated = false;
      report.rows.push_back(row);
    }
  }
}

void order_rows(CompareReport& report) {
  auto rank = [](const Comparison& c) {
    if (c.verdict == Verdict::regression) return c.gated ? 0 : 1;
    switch (c.verdict) {
      case Verdict::improvement: return 2;
      case Verdict::missing: return 3;
      case Verdict::added: return 4;
      default: return 5;
    }
  };
  std::stable_sort(report.rows.begin(), report.rows.end(),
                   [&](const Comparison& a, const Comparison& b) { return rank(a) < rank(b); });
}

}  // namespace

CompareReport compare_results(const Results& current, const Results& baseline, const CompareOptions& options,
                              std::string against) {
  CompareReport report{std::move(against), {}, {}, options.alpha};
  const Environment &then = baseline.environment, &now = current.environment;
  bool same_machine = true;
  auto differs = [&](const char* field, const std::string& a, const std::string& b, bool material) {
    if (a == b) return;
    same_machine = same_machine && !material;
    report.notes.push_back(fmt::format("{} differs: '{}' in the baseline, '{}' now", field, a, b));
  };
  differs("cpu", then.cpu, now.cpu, true);
  differs("cores", std::to_string(then.cores), std::to_string(now.cores), true);
  differs("build type", then.build_type, now.build_type, true);
  differs("compiler", then.compiler, now.compiler, true);
  differs("kernel", then.kernel, now.kernel, false);
  differs("allocbench version", then.allocbench_version, now.allocbench_version, false);
  if (!same_machine)
    report.notes.push_back(options.ignore_env
                               ? "timed metrics are gated anyway (--ignore-env)"
                               : "timed metrics from another machine or build are shown but not gated; "
                                 "--ignore-env gates them anyway");

  for (const auto& name : options.metrics) {
    auto has = [&](const Result& r) { return r.metrics.count(name) > 0; };
    if (std::none_of(current.results.begin(), current.results.end(), has) &&
        std::none_of(baseline.results.begin(), baseline.results.end(), has))
      report.notes.push_back(fmt::format("no result has the metric '{}': nothing was judged on it", name));
  }

  std::map<ResultKey, const Result*> base_by_key;
  for (const auto& r : baseline.results) base_by_key[key_of(r)] = &r;
  for (const auto& cur : current.results) {
    auto it = base_by_key.find(key_of(cur));
    if (it == base_by_key.end()) {
      add_entry(report, cur, Verdict::added, "not in the baseline");
      continue;
    }
    const Result& base = *it->second;
    base_by_key.erase(it);
    bool same_allocator = base.backend_version == cur.backend_version;
    if (!same_allocator)
      report.notes.push_back(fmt::format("{} is version {} now, {} in the baseline: its timed metrics are {}",
                                         cur.backend, cur.backend_version, base.backend_version,
                                         options.ignore_env ? "gated anyway (--ignore-env)" : "shown but not gated"));
    compare_pair(report, base, cur, options, options.ignore_env || (same_machine && same_allocator));
  }
  for (const auto& [key, base] : base_by_key) add_entry(report, *base, Verdict::missing, "in the baseline, not run now");
  order_rows(report);
  return report;
}

CompareReport compare_to_reference(const Results& run, const std::string& reference, const CompareOptions& options) {
  CompareReport report{fmt::format("reference backend '{}'", reference), {}, {}, options.alpha};
  for (const auto& ref : run.results) {
    if (ref.backend != reference) continue;
    for (const auto& other : run.results)
      if (other.backend != reference && other.workload == ref.workload && other.params == ref.params)
        compare_pair(report, ref, other, options, true);
  }
  order_rows(report);
  return report;
}

}  // namespace allocbench
