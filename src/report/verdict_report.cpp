#include "report/verdict_report.hpp"

#include "common/error.hpp"
#include "report/format_units.hpp"
#include "report/svg_chart.hpp"
#include "report/text_columns.hpp"
#include "results/metrics.hpp"
#include "results/statistics.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <set>

namespace allocbench {

std::string describe(const ResultKey& key) {
  if (!key.directory.empty()) return fmt::format("{} · {} · run in {}", key.backend, key.workload, key.directory);
  return fmt::format("{} · {}{}{} · seed {} · {} thread{}{}", key.backend, key.workload, key.params.empty() ? "" : " · ",
                     params_text(key.params), key.seed, key.threads, key.threads == 1 ? "" : "s",
                     key.measure == measure_wall ? "" : " · measured by " + key.measure);
}

std::string evidence_text(const Comparison& c) {
  switch (c.verdict) {
    case Verdict::added: return c.metric.empty() ? "not in the baseline" : "not measured in the baseline";
    case Verdict::missing: return c.metric.empty() ? "in the baseline, not run now" : "not measured now (--counting off?)";
    case Verdict::not_comparable:
      return fmt::format("checksum {} then, {} now: different work", c.baseline_checksum, c.current_checksum);
    default: break;
  }
  bool beyond = std::fabs(c.change) > c.threshold;
  std::string text;
  switch (c.evidence) {
    case Evidence::deterministic: return "deterministic";
    case Evidence::bounded:
      return fmt::format("one sample each, exact to within ±{} together{}", format_bytes(c.bound),
                         beyond && !c.significant ? " (within it)" : "");
    case Evidence::too_few_samples:
      return fmt::format("too few samples ({} vs {}): p >= {:.3f} always", c.baseline_samples, c.current_samples,
                         c.smallest_p);
    case Evidence::tested:
    case Evidence::other_environment:
      if (!c.tested) {
        text = "deterministic";
      } else {
        text = fmt::format("p = {:.3f}", c.p);
        if (c.verdict == Verdict::inconclusive)
          text += fmt::format(", ratio {:.3f} to {:.3f}: neither confirmed beyond ±{:g}% nor within it", c.interval.low,
                              c.interval.high, c.threshold * 100);
        else if (beyond && !c.significant) text += " (not significant)";
        if (c.contradicted) text += "; the best repetition said otherwise: median";
      }
      if (c.evidence == Evidence::other_environment) text += "; measured in another environment (notes)";
      return text;
    case Evidence::entry: break;
  }
  return "";
}

std::string metric_value(const std::string& metric, double v) {
  const MetricInfo* m = find_metric(metric);
  if (!m) return fmt::format("{}", v);
  if (m->unit == "ns") return format_duration_ns(v);
  if (m->unit == "bytes") return format_bytes(v);
  if (m->unit == "1/s") return format_rate(v);
  if (m->unit == "ratio") return fmt::format("{:.2f}", v);
  return fmt::format("{:.0f}", v);
}

std::string change_text(double change) {
  if (std::isinf(change)) return "from 0";
  double tenths = std::round(change * 1000);  // no "-0.0%" for a change too small to show
  return fmt::format("{:+.1f}%", (tenths == 0 ? 0.0 : tenths) / 10);
}

namespace {

std::string verdict(const Comparison& c, bool loud) {
  std::string v(to_string(c.verdict));
  bool alarming = c.verdict == Verdict::not_comparable || c.verdict == Verdict::inconclusive ||
                  (c.verdict == Verdict::regression && c.gated);
  if (alarming && loud) std::transform(v.begin(), v.end(), v.begin(), ::toupper);
  if (c.verdict == Verdict::regression && !c.gated) v += " (not gated)";
  return v;
}

std::vector<std::vector<std::string>> rows(const CompareReport& r, bool loud) {
  std::vector<std::vector<std::string>> out;
  for (const auto& c : r.rows) {
    bool figures = !c.metric.empty() && c.verdict != Verdict::added && c.verdict != Verdict::missing;
    std::string evidence = evidence_text(c);
    if (c.metric.empty())
      evidence += fmt::format(" ({}seed {}, {} thread{})", c.key.params.empty() ? "" : params_text(c.key.params) + ", ",
                              c.key.seed, c.key.threads, c.key.threads == 1 ? "" : "s");
    out.push_back({verdict(c, loud), c.key.backend, c.key.workload, c.metric.empty() ? "-" : c.metric,
                   figures ? metric_value(c.metric, c.baseline) : "-", figures ? metric_value(c.metric, c.current) : "-",
                   figures ? change_text(c.change) : "-", figures ? fmt::format("{:g}%", c.threshold * 100) : "-", evidence});
  }
  return out;
}

const std::vector<std::string> header{"verdict",   "backend", "workload",  "metric",  "baseline",
                                      "current",   "change",  "threshold", "evidence"};

std::string against(const CompareReport& r) {
  return r.against == Against::baseline ? fmt::format("baseline '{}'", r.against_name)
                                        : fmt::format("reference backend '{}'", r.against_name);
}

std::string title(const CompareReport& r) {
  std::string alpha = r.looks > 1 ? fmt::format("alpha = {:.4g} at each of {} looks, {:.4g} in all (--reps auto)", r.alpha,
                                                r.looks, r.alpha * static_cast<double>(r.looks))
                                  : fmt::format("alpha = {}", r.alpha);
  return fmt::format("regression check against {} (timed metrics: best repetition, one-sided Mann-Whitney U at {})",
                     against(r), alpha);
}

// What the reader must know before trusting the rows, one sentence each.
std::vector<std::string> notes(const CompareReport& r) {
  std::vector<std::string> out;
  bool stops_timed = false, stops_simulated = false;
  for (const auto& e : r.environment_changes) {
    out.push_back(fmt::format("{} differs: '{}' in the baseline, '{}' now", e.field, e.baseline, e.current));
    stops_timed = stops_timed || e.stops_timed;
    stops_simulated = stops_simulated || e.stops_simulated;
  }
  if (r.ignore_env && (stops_timed || stops_simulated))
    out.push_back("metrics measured in another environment are gated anyway (--ignore-env)");
  if (!r.ignore_env && stops_timed)
    out.push_back("timed metrics from another machine or build are shown but not gated (instruction counts are "
                  "gated across CPUs); --ignore-env gates them anyway");
  if (!r.ignore_env && stops_simulated)
    out.push_back("instruction counts from another build or valgrind are shown but not gated; --ignore-env gates "
                  "them anyway");
  for (const auto& v : r.version_changes)
    out.push_back(fmt::format("{} is version {} now, {} in the baseline: its timed metrics and instruction counts are {}", v.backend,
                              v.current, v.baseline, r.ignore_env ? "gated anyway (--ignore-env)" : "shown but not gated"));
  for (const auto& m : r.unmeasured_metrics)
    out.push_back(fmt::format("no result has the metric '{}': nothing was judged on it", m));

  std::set<std::pair<size_t, size_t>> too_few;
  bool tied = false;     // enough samples, but too many of them equal
  bool one_only = false; // under callgrind, memory comes from the counted run alone
  bool counted = false;  // the counted run's system calls: one sample a side
  for (const auto& c : r.rows) {
    if (c.evidence != Evidence::too_few_samples) continue;
    if (find_metric(c.metric)->source == Source::counted) counted = true;
    else if (c.key.measure == measure_instructions) one_only = true;
    else if (samples_needed(c.baseline_samples, r.alpha) > c.current_samples) too_few.insert({c.baseline_samples, c.current_samples});
    else tied = true;
  }
  if (one_only)
    out.push_back("with --measure instructions, RSS and page faults come from the counted run alone: one sample a "
                  "side, shown, never gated, whatever --reps; gate them in a wall-time run");
  if (counted)
    out.push_back("the counted run's memory system calls come from that one run: one sample a side, shown, never "
                  "gated, whatever --reps");
  for (const auto& [base, cur] : too_few)
    out.push_back(fmt::format("{} against {} repetitions can never give p < {} on timed metrics: they are shown, "
                              "not gated. A baseline of {} repetition{} is gated only by runs of {} or more "
                              "repetitions (without ties); deterministic metrics are gated always",
                              base, cur, r.alpha, base, base == 1 ? "" : "s", samples_needed(base, r.alpha)));
  if (tied)
    out.push_back(fmt::format("rows marked 'too few samples' with enough repetitions have so many equal values "
                              "(page-sized RSS, counts that barely vary) that no test could give p < {}: they are "
                              "shown, not gated",
                              r.alpha));
  if (std::any_of(r.rows.begin(), r.rows.end(), [](const Comparison& c) { return c.contradicted; }))
    out.push_back("where the best repetition moved one way and the repetitions as a whole significantly the other "
                  "(one lucky repetition), the median decides instead of the best repetition");
  if (r.inconclusive())
    out.push_back("rows marked inconclusive reached --max-reps or --max-time before their timed change was confirmed "
                  "beyond the threshold or shown within it; --inconclusive fail (the default) fails the check on them");
  if (r.not_comparable())
    out.push_back("entries marked not comparable did different work than their baseline (another checksum): "
                  "re-record them with --save-baseline");
  return out;
}

}  // namespace

std::string verdict_summary(const CompareReport& r) {
  int n = r.regressions(), broken = r.not_comparable();
  std::string text = n == 0 ? "no regression beyond the threshold"
                            : fmt::format("{} regression{} beyond the threshold", n, n == 1 ? "" : "s");
  if (int open = r.inconclusive()) text += fmt::format(", {} inconclusive", open);
  if (broken) text += fmt::format(", {} entr{} not comparable", broken, broken == 1 ? "y" : "ies");
  return fmt::format("{} against {}", text, against(r));
}

std::string verdict_table(const CompareReport& r) {
  // verdict, backend, workload, metric | baseline, current, change, threshold | evidence
  std::vector<Align> align(header.size(), Align::left);
  std::fill(align.begin() + 4, align.begin() + 8, Align::right);
  std::string out = title(r) + "\n";
  for (const auto& note : notes(r)) out += "   note: " + note + "\n";
  return out + text_columns(header, rows(r, true), align) + verdict_summary(r) + "\n";
}

std::string verdict_markdown(const CompareReport& r) {
  std::string out = "### " + title(r) + "\n\n";
  auto ns = notes(r);
  for (const auto& note : ns) out += "> " + note + "\n";
  if (!ns.empty()) out += "\n";
  out += fmt::format("| {} |\n|---|---|---|---|--:|--:|--:|--:|---|\n", fmt::join(header, " | "));
  for (const auto& row : rows(r, false)) {
    auto cells = row;
    if (cells[0] == "regression" || cells[0] == "not comparable" || cells[0] == "inconclusive")
      cells[0] = "**" + cells[0] + "**";
    out += fmt::format("| {} |\n", fmt::join(cells, " | "));
  }
  bool alarming = r.regressions() || r.not_comparable() || r.inconclusive();
  return out + fmt::format("\n{}\n", alarming ? "**" + verdict_summary(r) + "**" : verdict_summary(r));
}

std::string verdict_html(const CompareReport& r) {
  std::string out = fmt::format("<section class=\"verdict\">\n<h2>{}</h2>\n", xml_escape(title(r)));
  for (const auto& note : notes(r)) out += fmt::format("<p class=\"note\">{}</p>\n", xml_escape(note));
  out += "<table>\n<thead><tr>";
  for (size_t i = 0; i < header.size(); ++i)
    out += fmt::format("<th{}>{}</th>", i >= 4 && i < 8 ? " class=\"num\"" : "", header[i]);
  out += "</tr></thead>\n<tbody>\n";
  for (const auto& row : rows(r, true)) {
    bool alarming = row[0] == "REGRESSION" || row[0] == "NOT COMPARABLE" || row[0] == "INCONCLUSIVE";
    out += alarming ? "<tr class=\"alarm\">" : "<tr>";
    for (size_t i = 0; i < row.size(); ++i)
      out += fmt::format("<td{}>{}</td>", i >= 4 && i < 8 ? " class=\"num\"" : "", xml_escape(row[i]));
    out += "</tr>\n";
  }
  bool alarming = r.regressions() || r.not_comparable() || r.inconclusive();
  return out + fmt::format("</tbody>\n</table>\n<p class=\"{}\">{}</p>\n</section>\n", alarming ? "summary alarm" : "summary",
                           xml_escape(verdict_summary(r)));
}

std::string render_verdict(const CompareReport& r, std::string_view format, std::string_view flag) {
  if (format == "table") return verdict_table(r);
  if (format == "markdown") return verdict_markdown(r);
  if (format == "json") return verdict_json(r).dump(2) + "\n";
  throw usage_error("{}: unknown format '{}' for a verdict report; expected one of: table, markdown, json", flag, format);
}

nlohmann::json verdict_json(const CompareReport& r) {
  using nlohmann::json;
  json list = json::array();
  for (const auto& c : r.rows) {
    json row = {{"backend", c.key.backend}, {"workload", c.key.workload}, {"measure", c.key.measure}, {"params", c.key.params},
                {"seed", c.key.seed},       {"threads", c.key.threads},   {"verdict", to_string(c.verdict)},
                {"directory", c.key.directory},
                {"gated", c.gated},         {"evidence", to_string(c.evidence)}};
    if (c.verdict == Verdict::not_comparable)
      row.update({{"baseline_checksum", c.baseline_checksum}, {"current_checksum", c.current_checksum}});
    if (!c.metric.empty()) row["metric"] = c.metric;
    if (c.evidence != Evidence::entry) {
      row.update({{"estimator", to_string(c.estimator)}, {"baseline_samples", c.baseline_samples},
                  {"current_samples", c.current_samples}, {"baseline", c.baseline}, {"current", c.current},
                  {"change", std::isinf(c.change) ? json(nullptr) : json(c.change)},
                  {"direction", to_string(c.direction)}, {"threshold", c.threshold},
                  {"significant", c.significant}});
      if (c.tested)
        row.update({{"p", c.p}, {"smallest_p", c.smallest_p}, {"exact_p", c.exact}, {"contradicted", c.contradicted},
                    {"ratio_interval", {c.interval.low, std::isinf(c.interval.high) ? json(nullptr) : json(c.interval.high)}},
                    {"within_threshold", c.within_threshold}});
      if (c.evidence == Evidence::bounded) row["error_bound"] = c.bound;
    }
    list.push_back(row);
  }
  json environment = json::array(), versions = json::array();
  for (const auto& e : r.environment_changes)
    environment.push_back({{"field", e.field}, {"baseline", e.baseline}, {"current", e.current},
                           {"stops_timed", e.stops_timed}, {"stops_simulated", e.stops_simulated}});
  for (const auto& v : r.version_changes)
    versions.push_back({{"backend", v.backend}, {"baseline", v.baseline}, {"current", v.current}});
  return {{"against", {{"kind", r.against == Against::baseline ? "baseline" : "reference"}, {"name", r.against_name}}},
          {"alpha", r.alpha},
          {"looks", r.looks},
          {"ignore_env", r.ignore_env},
          {"environment_changes", environment},
          {"version_changes", versions},
          {"unmeasured_metrics", r.unmeasured_metrics},
          {"regressions", r.regressions()},
          {"inconclusive", r.inconclusive()},
          {"not_comparable", r.not_comparable()},
          {"comparisons", list}};
}

std::string unmatched_entries(const std::vector<ResultKey>& current, std::string_view current_name,
                              const std::vector<ResultKey>& baseline, std::string_view baseline_name) {
  auto list = [](const std::vector<ResultKey>& keys) {
    std::string text;
    for (const auto& k : keys) text += "\n  " + describe(k);
    return keys.empty() ? std::string("\n  (none)") : text;
  };
  return fmt::format("no entry of {} has a counterpart in {}: nothing would be compared. Entries are matched by "
                     "backend, workload, parameters, seed, threads and --measure (a cmd: workload also by its working "
                     "directory): run with the baseline's settings, or "
                     "record a new baseline with --save-baseline.\n{}:{}\n{}:{}",
                     current_name, baseline_name, current_name, list(current), baseline_name, list(baseline));
}

std::string not_comparable_entries(const CompareReport& r) {
  std::string text = fmt::format("{} entr{} did different work than in {} (the checksum of the work differs): they "
                                 "cannot be judged. Re-record the baseline with --save-baseline if the work changed on "
                                 "purpose:",
                                 r.not_comparable(), r.not_comparable() == 1 ? "y" : "ies", against(r));
  for (const auto& c : r.rows)
    if (c.verdict == Verdict::not_comparable)
      text += fmt::format("\n  {} (checksum {} then, {} now)", describe(c.key), c.baseline_checksum, c.current_checksum);
  return text;
}

}  // namespace allocbench
