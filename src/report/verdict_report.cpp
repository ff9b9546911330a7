#include "report/verdict_report.hpp"

#include "common/error.hpp"
#include "report/format_units.hpp"
#include "report/text_columns.hpp"
#include "results/metrics.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>

namespace allocbench {
namespace {

std::string value(const std::string& metric, double v) {
  const MetricInfo* m = find_metric(metric);
  if (!m) return fmt::format("{}", v);
  if (m->unit == "ns") return format_duration_ns(v);
  if (m->unit == "bytes") return format_bytes(v);
  if (m->unit == "1/s") return format_rate(v);
  return fmt::format("{:.0f}", v);
}

std::string change(const Comparison& c) {
  if (c.metric.empty()) return "";
  if (std::isinf(c.change)) return "from 0";
  return fmt::format("{:+.1f}%", c.change * 100);
}

std::string verdict(const Comparison& c, bool loud) {
  std::string v(to_string(c.verdict));
  if (c.verdict == Verdict::regression && loud && c.gated) std::transform(v.begin(), v.end(), v.begin(), ::toupper);
  if (c.verdict == Verdict::regression && !c.gated) v += " (not gated)";
  return v;
}

std::vector<std::vector<std::string>> rows(const CompareReport& r, bool loud) {
  std::vector<std::vector<std::string>> out;
  for (const auto& c : r.rows) {
    bool entry = c.metric.empty();
    out.push_back({verdict(c, loud), c.backend, c.workload, entry ? "-" : c.metric,
                   entry ? "-" : value(c.metric, c.baseline), entry ? "-" : value(c.metric, c.current),
                   entry ? "-" : change(c), entry ? "-" : fmt::format("{:g}%", c.threshold * 100),
                   entry ? fmt::format("{} ({})", c.evidence, c.params) : c.evidence});
  }
  return out;
}

const std::vector<std::string> header{"verdict",   "backend", "workload",  "metric",  "baseline",
                                      "current",   "change",  "threshold", "evidence"};

std::string title(const CompareReport& r) {
  return fmt::format("regression check against {} (timed metrics: best repetition, Mann-Whitney U at alpha = {})",
                     r.against, r.alpha);
}

}  // namespace

std::string verdict_summary(const CompareReport& r) {
  int n = r.regressions();
  if (n == 0) return fmt::format("no regression beyond the threshold against {}", r.against);
  return fmt::format("{} regression{} beyond the threshold against {}", n, n == 1 ? "" : "s", r.against);
}

std::string verdict_table(const CompareReport& r) {
  // verdict, backend, workload, metric | baseline, current, change, threshold | evidence
  std::vector<Align> align(header.size(), Align::left);
  std::fill(align.begin() + 4, align.begin() + 8, Align::right);
  std::string out = title(r) + "\n";
  for (const auto& note : r.notes) out += "   note: " + note + "\n";
  return out + text_columns(header, rows(r, true), align) + verdict_summary(r) + "\n";
}

std::string verdict_markdown(const CompareReport& r) {
  std::string out = "### " + title(r) + "\n\n";
  for (const auto& note : r.notes) out += "> " + note + "\n";
  if (!r.notes.empty()) out += "\n";
  out += fmt::format("| {} |\n|---|---|---|---|--:|--:|--:|--:|---|\n", fmt::join(header, " | "));
  for (const auto& row : rows(r, false)) {
    auto cells = row;
    if (cells[0] == "regression") cells[0] = "**regression**";
    out += fmt::format("| {} |\n", fmt::join(cells, " | "));
  }
  int n = r.regressions();
  return out + fmt::format("\n{}\n", n ? "**" + verdict_summary(r) + "**" : verdict_summary(r));
}

std::string render_verdict(const CompareReport& r, std::string_view format, std::string_view flag) {
  if (format == "table") return verdict_table(r);
  if (format == "markdown") return verdict_markdown(r);
  if (format == "json") return verdict_json(r).dump(2) + "\n";
  throw usage_error("{}: unknown format '{}' for a verdict report; expected one of: table, markdown, json", flag, format);
}

nlohmann::json verdict_json(const CompareReport& r) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& c : r.rows) {
    nlohmann::json row = {{"backend", c.backend}, {"workload", c.workload}, {"params", c.params},
                          {"verdict", to_string(c.verdict)}, {"gated", c.gated}, {"evidence", c.evidence}};
    if (!c.metric.empty())
      row.update({{"metric", c.metric}, {"estimator", c.estimator}, {"baseline", c.baseline}, {"current", c.current},
                  {"change", std::isinf(c.change) ? nlohmann::json(nullptr) : nlohmann::json(c.change)},
                  {"threshold", c.threshold}});
    list.push_back(row);
  }
  return {{"against", r.against}, {"alpha", r.alpha}, {"notes", r.notes}, {"regressions", r.regressions()},
          {"comparisons", list}};
}

}  // namespace allocbench
