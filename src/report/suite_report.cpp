#include "report/suite_report.hpp"

#include "common/error.hpp"
#include "report/format_units.hpp"
#include "report/svg_chart.hpp"
#include "report/text_columns.hpp"
#include "results/results_json.hpp"
#include "results/statistics.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>

namespace allocbench {
namespace {

using nlohmann::json;

const Summary* metric_of(const Result& r, const char* name) {
  auto it = r.metrics.find(name);
  return it == r.metrics.end() ? nullptr : &it->second;
}

// The ratio of `b`'s median to `a`'s, and the two-sided U test's p of their repetitions.
void compare(const Result& a, const Result& b, const char* metric, std::optional<double>& ratio, double& p) {
  const Summary *x = metric_of(a, metric), *y = metric_of(b, metric);
  if (!x || !y || x->median <= 0 || y->median <= 0) return;
  ratio = y->median / x->median;
  double one_sided = std::min(mann_whitney(x->samples, y->samples, Tail::greater).p,
                              mann_whitney(x->samples, y->samples, Tail::less).p);
  p = std::min(1.0, 2 * one_sided);
}

std::string marks(double p) { return p < suite_alpha / 5 ? "**" : p < suite_alpha ? "*" : ""; }

std::string ratio_text(const std::optional<double>& ratio, double p) {
  return ratio ? fmt::format("{:.2f}{}", *ratio, marks(p)) : "-";
}

// The summary as rows of text: a row per program, then the geometric means.
struct Grid {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> notes;
};

Grid grid(const SuiteSummary& s) {
  Grid g;
  g.header = {"program", s.reference + " time", s.reference + " RSS"};
  for (const auto& b : s.backends) g.header.insert(g.header.end(), {b + " time", b + " RSS"});
  bool replays = std::any_of(s.programs.begin(), s.programs.end(), [](const auto& p) { return p.replay.has_value(); });
  if (replays) g.header.insert(g.header.end(), {"replay ranking", "explained"});
  for (const auto& p : s.programs) {
    std::vector<std::string> row{std::string(p.entry->program)};
    if (!p.entry->skipped.empty()) {
      g.notes.push_back(fmt::format("{}: skipped: {}", p.entry->program, p.entry->skipped));
      row.insert(row.end(), g.header.size() - 1, "skipped");
      g.rows.push_back(std::move(row));
      continue;
    }
    const Summary* time = p.reference ? metric_of(*p.reference, "wall_ns") : nullptr;
    const Summary* rss = p.reference ? metric_of(*p.reference, "peak_rss_bytes") : nullptr;
    row.push_back(time ? format_duration_ns(time->median) : "-");
    row.push_back(rss ? format_bytes(rss->median) : "-");
    if (!p.reference_failed.empty())
      g.notes.push_back(fmt::format("{} on {}: no figures: {}", p.entry->program, s.reference, p.reference_failed));
    for (const auto& b : s.backends) {
      const SuiteCell& c = p.cells.at(b);
      if (!c.failed.empty()) g.notes.push_back(fmt::format("{} on {}: no figures: {}", p.entry->program, b, c.failed));
      row.push_back(ratio_text(c.time, c.time_p));
      row.push_back(ratio_text(c.rss, c.rss_p));
    }
    if (p.replay) {
      row.push_back(!p.replay->ranked() ? "-" : p.replay->real_order == p.replay->replay_order ? "agrees" : "differs");
      for (const auto& [b, why] : p.replay->failed)
        g.notes.push_back(fmt::format("{} replayed on {}: no figures: {}", p.entry->program, b, why));
      row.push_back(p.replay->explained ? fmt::format("{:.0f}%", std::round(100 * *p.replay->explained) + 0.0) : "-");
    } else if (replays) {
      row.insert(row.end(), {"-", "-"});
    }
    g.rows.push_back(std::move(row));
  }
  std::vector<std::string> mean{"geometric mean", "", ""};
  for (const auto& b : s.backends) {
    const SuiteSummary::Mean& m = s.geomean.at(b);
    mean.push_back(m.time_programs ? fmt::format("{:.2f} ({})", m.time, m.time_programs) : "-");
    mean.push_back(m.rss_programs ? fmt::format("{:.2f} ({})", m.rss, m.rss_programs) : "-");
  }
  if (replays) mean.insert(mean.end(), {"", ""});
  g.rows.push_back(std::move(mean));
  g.notes.push_back(fmt::format("time and RSS: the median wall time and peak RSS over {}'s; below 1 is better; "
                                "* p < {:g}, ** p < {:g} (two-sided Mann-Whitney U of the repetitions); the "
                                "geometric mean is over the programs in parentheses",
                                s.reference, suite_alpha, suite_alpha / 5));
  if (replays)
    g.notes.push_back(fmt::format("--replay: each program recorded once and replayed (trace:) on every backend; replay "
                                  "ranking: whether the backends' order by median time is the same replayed as run; "
                                  "explained: the share of the real time differences from {} that the replay's "
                                  "explain (least squares; 100% predicts them all, 0% or below none)",
                                  s.reference));
  return g;
}

std::string text_report(const SuiteSummary& s, const SuiteSettings& settings) {
  Grid g = grid(s);
  std::vector<Align> align(g.header.size(), Align::right);
  align[0] = Align::left;
  std::string out = fmt::format("allocbench suite · {} · scale {:g} · {} reps\n", settings.date, settings.scale, settings.reps);
  out += text_columns(g.header, g.rows, align);
  for (const auto& n : g.notes) out += fmt::format("   note: {}\n", n);
  return out;
}

std::string markdown(const SuiteSummary& s, const SuiteSettings& settings) {
  Grid g = grid(s);
  std::string out = fmt::format("### allocbench suite · {} · scale {:g} · {} reps\n\n| {} |\n|---|", settings.date,
                                settings.scale, settings.reps, fmt::join(g.header, " | "));
  for (size_t c = 1; c < g.header.size(); ++c) out += "--:|";
  out += "\n";
  for (const auto& row : g.rows) out += fmt::format("| {} |\n", fmt::join(row, " | "));
  out += "\n";
  for (const auto& n : g.notes) out += fmt::format("> {}\n", n);
  return out;
}

// The geometric means as bars around 1 (the reference), time and RSS per backend.
std::string summary_chart(const SuiteSummary& s) {
  const double bar = 18, gap = 10, label = 110, scale_width = 360, top = 30;
  double height = top + static_cast<double>(s.backends.size()) * (2 * bar + gap) + 30;
  double most = 1;
  for (const auto& [b, m] : s.geomean) most = std::max({most, m.time, m.rss});
  auto x_of = [&](double ratio) { return label + ratio / (most * 1.1) * scale_width; };
  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{:.0f}\" height=\"{:.0f}\" font-family=\"sans-serif\" "
      "font-size=\"12\">\n<text x=\"4\" y=\"16\" font-weight=\"bold\">geometric mean over the programs, relative to "
      "{} (1 = the same; lower is better)</text>\n",
      label + scale_width + 80, height, xml_escape(s.reference));
  double y = top;
  for (const auto& b : s.backends) {
    const SuiteSummary::Mean& m = s.geomean.at(b);
    svg += fmt::format("<text x=\"4\" y=\"{:.0f}\">{}</text>\n", y + bar, xml_escape(b));
    for (auto [what, value, fill] : {std::tuple{"time", m.time, "#4477aa"}, {"RSS", m.rss, "none"}}) {
      if (value > 0)
        svg += fmt::format("<rect x=\"{:.0f}\" y=\"{:.0f}\" width=\"{:.1f}\" height=\"{:.0f}\" fill=\"{}\" "
                           "stroke=\"#4477aa\"/><text x=\"{:.1f}\" y=\"{:.0f}\">{} {:.2f}</text>\n",
                           label, y, x_of(value) - label, bar - 2, fill, x_of(value) + 4, y + bar - 5, what, value);
      y += bar;
    }
    y += gap;
  }
  svg += fmt::format("<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1:.0f}\" y2=\"{2:.0f}\" stroke=\"black\" "
                     "stroke-dasharray=\"4 3\"/><text x=\"{0:.1f}\" y=\"{3:.0f}\">1</text>\n</svg>\n",
                     x_of(1), top - 4, y, y + 14);
  return svg;
}

std::string html(const SuiteSummary& s, const Results& results, const SuiteSettings& settings) {
  Grid g = grid(s);
  std::string body = fmt::format("<h1>allocbench suite</h1>\n<p class=\"env\">{} · scale {:g} · {} reps</p>\n",
                                 xml_escape(settings.date), settings.scale, settings.reps);
  body += "<table>\n<tr>";
  for (const auto& h : g.header) body += fmt::format("<th>{}</th>", xml_escape(h));
  body += "</tr>\n";
  for (const auto& row : g.rows) {
    body += "<tr>";
    for (const auto& cell : row) body += fmt::format("<td>{}</td>", xml_escape(cell));
    body += "</tr>\n";
  }
  body += "</table>\n";
  for (const auto& n : g.notes) body += fmt::format("<p class=\"settings\">{}</p>\n", xml_escape(n));
  body += "<div class=\"charts\">\n" + summary_chart(s) + "</div>\n";
  for (const auto& rows : by_work(results)) {
    const std::string& workload = rows.front()->workload;
    std::string name = workload;
    for (const auto& p : s.programs)
      if (p.entry->workload == workload || p.entry->replay == workload)
        name = p.entry->program + (p.entry->replay == workload ? " (replayed)" : "");
    body += fmt::format("<section class=\"workload\">\n<h2>{}</h2>\n<p class=\"settings\">{}</p>\n", xml_escape(name),
                        xml_escape(rows.front()->workload));
    body += "<div class=\"charts\">\n" + time_chart(rows).svg + memory_chart(rows).svg + "</div>\n</section>\n";
  }
  return html_page("allocbench suite", body);
}

json json_report(const SuiteSummary& s, const Results& results, const SuiteSettings& settings) {
  json programs = json::array();
  for (const auto& p : s.programs) {
    json j = {{"program", p.entry->program},
              {"package", p.entry->package},
              {"behaviour", p.entry->behaviour},
              {"workload", p.entry->workload}};
    if (!p.entry->skipped.empty()) {
      j["skipped"] = p.entry->skipped;
      programs.push_back(std::move(j));
      continue;
    }
    if (!p.reference_failed.empty()) j["reference_failed"] = p.reference_failed;
    json ratios = json::object();
    for (const auto& [backend, c] : p.cells) {
      json r = json::object();
      if (c.time) r["time"] = *c.time, r["time_p"] = c.time_p;
      if (c.rss) r["rss"] = *c.rss, r["rss_p"] = c.rss_p;
      if (!c.failed.empty()) r["failed"] = c.failed;
      ratios[backend] = std::move(r);
    }
    j["ratios"] = std::move(ratios);
    if (p.replay) {
      j["replay"] = {{"workload", p.entry->replay},
                     {"real_order", p.replay->real_order},
                     {"replay_order", p.replay->replay_order},
                     {"failed", p.replay->failed}};
      if (p.replay->ranked()) j["replay"]["agrees"] = p.replay->real_order == p.replay->replay_order;
      if (p.replay->explained) j["replay"]["explained"] = *p.replay->explained;
    }
    programs.push_back(std::move(j));
  }
  json geomean = json::object();
  for (const auto& [backend, m] : s.geomean) {
    json j = {{"time_programs", m.time_programs}, {"rss_programs", m.rss_programs}};
    if (m.time_programs) j["time"] = m.time;
    if (m.rss_programs) j["rss"] = m.rss;
    geomean[backend] = std::move(j);
  }
  return {{"schema", "allocbench-suite/1"},
          {"date", settings.date},
          {"scale", settings.scale},
          {"reps", settings.reps},
          {"reference", s.reference},
          {"programs", std::move(programs)},
          {"geomean", std::move(geomean)},
          {"results", to_json(results)}};
}

double median_time(const Result* r) {
  const Summary* t = r ? metric_of(*r, "wall_ns") : nullptr;
  return t ? t->median : 0;
}

template <typename ResultOf, typename FailureOf>
SuiteSummary::Program::Replay replay_of(const SuiteEntry& e, const SuiteSummary& s, const ResultOf& result_of,
                                        const FailureOf& failure_of) {
  SuiteSummary::Program::Replay r;
  std::vector<std::string> all{s.reference};
  all.insert(all.end(), s.backends.begin(), s.backends.end());
  std::vector<std::pair<double, std::string>> real, replayed;
  for (const auto& b : all) {
    if (!result_of(b, e.replay)) r.failed[b] = failure_of(b, e.replay);
    double t_real = median_time(result_of(b, e.workload)), t_replay = median_time(result_of(b, e.replay));
    if (t_real > 0 && t_replay > 0) real.emplace_back(t_real, b), replayed.emplace_back(t_replay, b);
  }
  auto order = [](std::vector<std::pair<double, std::string>> times) {
    std::sort(times.begin(), times.end());
    std::vector<std::string> names;
    for (auto& [t, b] : times) names.push_back(b);
    return names;
  };
  r.real_order = order(real);
  r.replay_order = order(replayed);
  double real_ref = median_time(result_of(s.reference, e.workload)), replay_ref = median_time(result_of(s.reference, e.replay));
  if (real_ref <= 0 || replay_ref <= 0) return r;
  double both = 0, real_square = 0;
  for (size_t i = 0; i < real.size(); ++i) {
    if (real[i].second == s.reference) continue;
    double d_real = real[i].first - real_ref, d_replay = replayed[i].first - replay_ref;
    both += d_real * d_replay;
    real_square += d_real * d_real;
  }
  if (real_square > 0) r.explained = both / real_square;
  return r;
}

}  // namespace

SuiteSummary summarize_suite(const std::vector<SuiteEntry>& entries, const Results& results,
                             const std::vector<FailedCell>& failures, const std::string& reference) {
  SuiteSummary s;
  s.reference = reference;
  for (const Result& r : results.results)
    if (r.backend != reference && std::find(s.backends.begin(), s.backends.end(), r.backend) == s.backends.end())
      s.backends.push_back(r.backend);
  for (const FailedCell& f : failures)
    if (f.backend != reference && std::find(s.backends.begin(), s.backends.end(), f.backend) == s.backends.end())
      s.backends.push_back(f.backend);
  auto failure_of = [&](const std::string& backend, const std::string& workload) {
    for (const FailedCell& f : failures)
      if (f.backend == backend && f.workload == workload) return f.reason;
    return std::string();
  };
  auto result_of = [&](const std::string& backend, const std::string& workload) -> const Result* {
    for (const Result& r : results.results)
      if (r.backend == backend && r.workload == workload) return &r;
    return nullptr;
  };
  std::map<std::string, std::vector<double>> log_time, log_rss;
  for (const SuiteEntry& e : entries) {
    SuiteSummary::Program p{&e, nullptr, {}, {}, std::nullopt};
    if (e.skipped.empty()) {
      p.reference = result_of(reference, e.workload);
      if (!p.reference) p.reference_failed = failure_of(reference, e.workload);
      for (const auto& b : s.backends) {
        SuiteCell& c = p.cells[b];
        const Result* r = result_of(b, e.workload);
        if (!r) c.failed = failure_of(b, e.workload);
        if (!r || !p.reference) continue;
        compare(*p.reference, *r, "wall_ns", c.time, c.time_p);
        compare(*p.reference, *r, "peak_rss_bytes", c.rss, c.rss_p);
        if (c.time) log_time[b].push_back(std::log(*c.time));
        if (c.rss) log_rss[b].push_back(std::log(*c.rss));
      }
      if (!e.replay.empty()) p.replay = replay_of(e, s, result_of, failure_of);
    }
    s.programs.push_back(std::move(p));
  }
  auto geometric = [](const std::vector<double>& logs) {
    double sum = 0;
    for (double l : logs) sum += l;
    return logs.empty() ? 0 : std::exp(sum / static_cast<double>(logs.size()));
  };
  for (const auto& b : s.backends)
    s.geomean[b] = {geometric(log_time[b]), geometric(log_rss[b]), static_cast<int>(log_time[b].size()),
                    static_cast<int>(log_rss[b].size())};
  return s;
}

const std::vector<std::string_view>& suite_formats() {
  static const std::vector<std::string_view> formats{"table", "markdown", "html", "json"};
  return formats;
}

std::string suite_report(const SuiteSummary& summary, const Results& results, const SuiteSettings& settings,
                         const std::string& format) {
  if (format == "table") return text_report(summary, settings);
  if (format == "markdown") return markdown(summary, settings);
  if (format == "html") return html(summary, results, settings);
  if (format == "json") return json_report(summary, results, settings).dump(2) + "\n";
  throw usage_error("--format: unknown format '{}'; known: {}", format, fmt::join(suite_formats(), ", "));
}

}  // namespace allocbench
