#include "report/history_report.hpp"

#include "common/error.hpp"
#include "report/svg_chart.hpp"
#include "report/text_columns.hpp"
#include "report/verdict_report.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>

namespace allocbench {
namespace {

std::string cell_name(const ResultKey& k) {
  return fmt::format("{} · {}{}", k.backend, k.workload, k.params.empty() ? "" : " · " + params_text(k.params));
}

std::string history_commit_text(const HistoryPoint& p) {
  return fmt::format("{} {}", p.commit.substr(0, 12), p.subject.substr(0, 50));
}

const std::vector<std::string> history_header{"verdict", "cell", "metric", "commit", "before", "after", "change", "threshold", "evidence"};

std::vector<std::vector<std::string>> history_rows(const HistoryReport& r) {
  std::vector<std::vector<std::string>> out;
  for (const auto& s : r.series) {
    for (const auto& c : s.changes)
      out.push_back({c.regression ? "REGRESSION" : c.change > 0 ? "worse" : "better", cell_name(s.key), s.metric,
                     history_commit_text(r.points[c.point]), metric_value(s.metric, c.before), metric_value(s.metric, c.after),
                     change_text(c.change), fmt::format("{:g}%", s.threshold * 100),
                     s.deterministic ? "exact" : fmt::format("change point, p = {:.3f}", c.p)});
    if (s.drift)
      out.push_back({"DRIFT", cell_name(s.key), s.metric,
                     fmt::format("{} .. {}", r.points[s.points[s.first]].commit.substr(0, 12),
                                 r.points[s.points.back()].commit.substr(0, 12)),
                     metric_value(s.metric, s.start), metric_value(s.metric, s.end), change_text(s.cumulative),
                     fmt::format("{:g}%", s.threshold * 100), "cumulative: no single change beyond the threshold"});
  }
  return out;
}

std::vector<std::string> history_notes(const HistoryReport& r) {
  std::vector<std::string> out;
  out.push_back(fmt::format("{} commits from {} to {}; timed metrics: E-Divisive means with a permutation test of {} "
                            "shuffles of the commits at p <= {}; deterministic ones change exactly where they change",
                            r.points.size(), history_commit_text(r.points.front()), history_commit_text(r.points.back()),
                            r.method.permutations, r.method.alpha));
  for (const auto& s : r.series)
    if (!s.note.empty()) out.push_back(fmt::format("{}, {}: {}", cell_name(s.key), s.metric, s.note));
  return out;
}

std::string history_title(const HistoryReport& r) {
  return fmt::format("history: change points and drift over {} commits", r.points.size());
}

nlohmann::json history_as_json(const HistoryReport& r) {
  using nlohmann::json;
  json points = json::array(), series = json::array();
  for (const auto& p : r.points) points.push_back({{"commit", p.commit}, {"subject", p.subject}});
  for (const auto& s : r.series) {
    json changes = json::array(), at = json::array(), samples = json::array();
    for (const auto& c : s.changes)
      changes.push_back({{"commit", r.points[c.point].commit}, {"point", c.point}, {"before", c.before},
                         {"after", c.after}, {"change", std::isinf(c.change) ? json(nullptr) : json(c.change)},
                         {"p", c.p}, {"q", c.q}, {"regression", c.regression}});
    for (size_t i = 0; i < s.points.size(); ++i) {
      at.push_back(s.points[i]);
      samples.push_back(s.samples[i]);
    }
    series.push_back({{"backend", s.key.backend}, {"workload", s.key.workload}, {"params", s.key.params},
                      {"seed", s.key.seed}, {"threads", s.key.threads}, {"measure", s.key.measure},
                      {"metric", s.metric}, {"deterministic", s.deterministic}, {"points", at}, {"samples", samples},
                      {"changes", changes}, {"from_point", s.points[s.first]}, {"start", s.start}, {"end", s.end},
                      {"cumulative", std::isinf(s.cumulative) ? json(nullptr) : json(s.cumulative)},
                      {"drift", s.drift}, {"threshold", s.threshold}, {"note", s.note}});
  }
  return {{"points", points},
          {"method", {{"name", "e-divisive"}, {"alpha", r.method.alpha}, {"permutations", r.method.permutations}}},
          {"regressions", r.regressions()},
          {"series", series}};
}

// A chart of one series over the commits: each commit's repetitions as dots, its median
// as a line, change points as dashed verticals.
std::string history_series_chart(const HistoryReport& r, const HistorySeries& s) {
  const double w = 640, h = 200, left = 70, right = 10, top = 24, bottom = 30;
  double lo = INFINITY, hi = -INFINITY;
  for (const auto& block : s.samples)
    for (double v : block) lo = std::min(lo, v), hi = std::max(hi, v);
  if (hi <= lo) hi = lo + 1;
  size_t n = r.points.size();
  auto x = [&](size_t point) { return left + (w - left - right) * (n > 1 ? static_cast<double>(point) / static_cast<double>(n - 1) : 0.5); };
  auto y = [&](double v) { return top + (h - top - bottom) * (1 - (v - lo) / (hi - lo)); };
  std::string svg = fmt::format(R"(<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" font-family="sans-serif" font-size="11">)", w, h);
  svg += fmt::format(R"(<text x="{}" y="14">{}</text>)", left, xml_escape(cell_name(s.key) + " · " + s.metric));
  svg += fmt::format(R"(<text x="4" y="{}">{}</text><text x="4" y="{}">{}</text>)", y(hi) + 4,
                     xml_escape(metric_value(s.metric, hi)), y(lo) + 4, xml_escape(metric_value(s.metric, lo)));
  std::string line;
  for (size_t i = 0; i < s.points.size(); ++i) {
    for (double v : s.samples[i]) svg += fmt::format(R"(<circle cx="{:.1f}" cy="{:.1f}" r="1.5" fill="#888"/>)", x(s.points[i]), y(v));
    std::vector<double> sorted = s.samples[i];
    std::sort(sorted.begin(), sorted.end());
    line += fmt::format("{:.1f},{:.1f} ", x(s.points[i]), y(sorted[sorted.size() / 2]));
  }
  svg += fmt::format(R"(<polyline points="{}" fill="none" stroke="black"/>)", line);
  for (const auto& c : s.changes)
    svg += fmt::format(R"(<line x1="{0:.1f}" x2="{0:.1f}" y1="{1}" y2="{2}" stroke="{3}" stroke-dasharray="4 3"/><text x="{0:.1f}" y="{4}">{5}</text>)",
                       x(c.point) - 0.5 * (w - left - right) / static_cast<double>(std::max<size_t>(n - 1, 1)), top, h - bottom,
                       c.regression ? "#c00" : "#06c", h - 8, xml_escape(r.points[c.point].commit.substr(0, 8) + " " + change_text(c.change)));
  return svg + "</svg>";
}

std::string history_as_html(const HistoryReport& r) {
  std::string out = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>allocbench history</title><style>"
                    "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{padding:2px 8px;"
                    "text-align:left}tr.alarm{font-weight:bold}</style></head><body>\n";
  out += fmt::format("<h1>{}</h1>\n", xml_escape(history_title(r)));
  for (const auto& note : history_notes(r)) out += fmt::format("<p>{}</p>\n", xml_escape(note));
  out += "<table><tr>";
  for (const auto& h : history_header) out += "<th>" + h + "</th>";
  out += "</tr>\n";
  for (const auto& row : history_rows(r)) {
    out += row[0] == "REGRESSION" || row[0] == "DRIFT" ? "<tr class=\"alarm\">" : "<tr>";
    for (const auto& c : row) out += "<td>" + xml_escape(c) + "</td>";
    out += "</tr>\n";
  }
  out += fmt::format("</table>\n<p>{}</p>\n", xml_escape(history_summary(r)));
  for (const auto& s : r.series)
    if (s.samples.size() > 1) out += "<div>" + history_series_chart(r, s) + "</div>\n";
  return out + "</body></html>\n";
}

}  // namespace

std::string history_summary(const HistoryReport& r) {
  int changes = 0, drifts = 0;
  for (const auto& s : r.series) {
    drifts += s.drift;
    for (const auto& c : s.changes) changes += c.regression;
  }
  if (changes + drifts == 0) return fmt::format("no regression beyond the threshold across {} commits", r.points.size());
  return fmt::format("{} regression{} across {} commits ({} change point{}, {} drift{})", changes + drifts,
                     changes + drifts == 1 ? "" : "s", r.points.size(), changes, changes == 1 ? "" : "s", drifts,
                     drifts == 1 ? "" : "s");
}

std::string history_report(const HistoryReport& r, std::string_view format) {
  if (format == "json") return history_as_json(r).dump(2) + "\n";
  if (format == "html") return history_as_html(r);
  auto table = history_rows(r);
  if (format == "markdown") {
    std::string out = "### " + history_title(r) + "\n\n";
    for (const auto& note : history_notes(r)) out += "> " + note + "\n";
    out += fmt::format("\n| {} |\n|---|---|---|---|--:|--:|--:|--:|---|\n", fmt::join(history_header, " | "));
    for (const auto& row : table) out += fmt::format("| {} |\n", fmt::join(row, " | "));
    return out + "\n" + history_summary(r) + "\n";
  }
  if (format != "table") throw usage_error("--format: unknown format '{}'; expected table, markdown, json or html", format);
  std::string out = history_title(r) + "\n";
  for (const auto& note : history_notes(r)) out += "   note: " + note + "\n";
  std::vector<Align> align(history_header.size(), Align::left);
  std::fill(align.begin() + 4, align.begin() + 8, Align::right);
  if (table.empty()) out += "   no change point in any cell_name and metric\n";
  else out += text_columns(history_header, table, align);
  return out + history_summary(r) + "\n";
}

}  // namespace allocbench
