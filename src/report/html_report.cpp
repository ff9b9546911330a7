// The HTML report: one self-contained file (styles inline, charts as inline SVG; no
// script, font or image fetched from anywhere) that reads on a laptop screen and prints
// in black and white. The verdicts first when comparing, regressions at their top; then
// per workload its settings, the time and memory charts side by side, and the timelines.
#include "report/report.hpp"

#include "report/format_units.hpp"
#include "report/svg_chart.hpp"
#include "report/verdict_report.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace allocbench {
namespace {

constexpr const char* style = R"(
body { font: 14px/1.45 system-ui, sans-serif; color: #111; max-width: 1240px; margin: 1.5em auto; padding: 0 1em; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; }
h2 { font-size: 1.2em; margin-top: 1.6em; border-bottom: 1px solid #999; }
.env, .settings, .note { color: #444; }
.charts { display: flex; flex-wrap: wrap; gap: 12px 28px; }
svg { max-width: 100%; height: auto; }
table { border-collapse: collapse; font-size: 13px; }
th, td { border-bottom: 1px solid #ccc; padding: 2px 8px; text-align: left; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.alarm td { font-weight: bold; background: #fde8e8; }
.summary { font-weight: bold; }
.summary.alarm { color: #a00; }
.failed { border: 2px solid #111; padding: 0.3em 0.8em; }
@media print {
  body { max-width: none; margin: 0; font-size: 11px; }
  tr.alarm td { background: none; text-decoration: underline; }
  .summary.alarm { color: #000; }
  section.workload { break-inside: avoid; }
}
)";

std::string environment_line(const Environment& e) {
  return fmt::format("{} · {} ({} cores) · {} · {} {} · allocbench {} {}", e.host, e.cpu, e.cores, e.kernel,
                     e.compiler, e.build_type, e.allocbench_version, e.git_commit);
}

}  // namespace

std::string html_report(const ReportInput& in) {
  std::string body = "<h1>allocbench report</h1>\n";
  std::vector<std::string> machines;  // a merged file's entries may come from several
  for (const auto& r : in.results.results)
    if (std::string line = environment_line(r.environment); std::find(machines.begin(), machines.end(), line) == machines.end())
      machines.push_back(line);
  if (machines.empty()) machines.push_back(environment_line(in.results.environment));
  for (const auto& line : machines) body += fmt::format("<p class=\"env\">{}</p>\n", xml_escape(line));
  if (in.verdict) body += verdict_html(*in.verdict);
  for (const FailedCell& f : in.failures)
    body += fmt::format("<p class=\"failed\"><strong>failed: {} · {}</strong>: {}</p>\n", xml_escape(f.backend),
                        xml_escape(f.workload), xml_escape(f.reason));
  for (const auto& rows : by_work(in.results)) {
    body += fmt::format("<section class=\"workload\">\n<h2>{}</h2>\n<p class=\"settings\">{}</p>\n",
                        xml_escape(rows.front()->workload), xml_escape(work_settings(*rows.front())));
    body += "<div class=\"charts\">\n" + time_chart(rows).svg + memory_chart(rows).svg + "</div>\n";
    if (auto timeline = timeline_chart(rows)) body += timeline->svg;
    if (auto latency = latency_chart(rows)) body += latency->svg;
    body += "</section>\n";
  }
  if (in.results.results.empty() && in.failures.empty()) body += "<p>No results.</p>\n";
  return html_page("allocbench report", body);
}

std::string html_page(std::string_view title, const std::string& body) {
  return fmt::format("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                     "<title>{}</title>\n<style>{}</style>\n</head>\n<body>\n{}</body>\n</html>\n",
                     title, style, body);
}

}  // namespace allocbench
