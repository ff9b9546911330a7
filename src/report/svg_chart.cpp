#include "report/svg_chart.hpp"

#include "report/format_units.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace allocbench {
namespace {

constexpr double bar_height = 18, plot_width = 260, value_width = 170;
constexpr double line_height = 220, line_chart_width = 2 * (150 + plot_width + value_width) + 30;
constexpr const char* palette[] = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#9c755f"};

// Wide enough for the longest backend label (a variant's settings, a preload: path), at
// about 7 px a character of the 12 px font.
double label_width_for(const std::vector<const Result*>& rows) {
  size_t longest = 0;
  for (const Result* r : rows) longest = std::max(longest, r->backend.size());
  return std::max(150.0, 7.0 * static_cast<double>(longest) + 12);
}

const Summary* summary_of(const Result& r, const char* metric) {
  auto it = r.metrics.find(metric);
  return it == r.metrics.end() ? nullptr : &it->second;
}
double median_of(const Result& r, const char* metric) {
  const Summary* s = summary_of(r, metric);
  return s ? s->median : 0;
}

std::string text(double x, double y, const std::string& s, const char* extra = "") {
  return fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" {}>{}</text>\n", x, y, extra, xml_escape(s));
}

Chart finish(const std::string& body, double width, double height) {
  return {fmt::format("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{:.0f}\" height=\"{:.0f}\" "
                      "viewBox=\"0 0 {:.0f} {:.0f}\" font-family=\"sans-serif\" font-size=\"12\">\n"
                      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n{}</svg>\n",
                      width, height, width, height, body),
          width, height};
}

}  // namespace

std::string work_settings(const Result& r) {
  std::string params = params_text(r.params, " ");
  if (!r.directory.empty()) return fmt::format("{} repetitions · run in {}", r.reps, r.directory);
  return fmt::format("{} repetitions · seed {} · {} thread{}{}{}{}", r.reps, r.seed, r.threads, r.threads == 1 ? "" : "s",
                     params.empty() ? "" : " · ", params, r.measure == measure_wall ? "" : " · measured by " + r.measure);
}

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

Chart time_chart(const std::vector<const Result*>& rows) {
  bool timed = std::any_of(rows.begin(), rows.end(), [](const Result* r) { return summary_of(*r, "wall_ns"); });
  const char* metric = timed ? "wall_ns" : "est_cycles";
  auto format = timed ? format_duration_ns : format_quantity;
  double label_width = label_width_for(rows);
  std::string body = text(0, 14, timed ? "time: median, whisker from fastest to slowest repetition"
                                        : "estimated cycles (callgrind): median, fastest to slowest",
                          "font-weight=\"bold\"");
  double top = 0;
  for (const Result* r : rows)
    if (const Summary* s = summary_of(*r, metric)) top = std::max(top, s->max);
  double y = 24;
  for (size_t i = 0; i < rows.size(); ++i, y += bar_height) {
    const Summary* s = summary_of(*rows[i], metric);
    body += text(label_width - 6, y + 13, rows[i]->backend, "text-anchor=\"end\"");
    if (!s || top <= 0) {
      body += text(label_width + 4, y + 13, "-");
      continue;
    }
    auto at = [&](double v) { return label_width + plot_width * v / top; };
    body += fmt::format("<rect x=\"{}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{}\" fill=\"{}\" stroke=\"#333\" "
                        "stroke-width=\"0.5\"><title>{}</title></rect>\n",
                        label_width, y, at(s->median) - label_width, bar_height - 4, palette[i % std::size(palette)],
                        xml_escape(rows[i]->backend + ": " + format(s->median)));
    double mid = y + (bar_height - 4) / 2;
    body += fmt::format("<path d=\"M{0:.1f},{1:.1f} H{2:.1f} M{0:.1f},{3:.1f} V{4:.1f} M{2:.1f},{3:.1f} V{4:.1f}\" "
                        "stroke=\"black\" stroke-width=\"1.2\" fill=\"none\"/>\n",
                        at(s->min), mid, at(s->max), mid - 4, mid + 4);
    std::string spread = s->median > 0 ? fmt::format(", spread {}", format_percent(relative_spread(*s))) : "";
    body += text(at(s->max) + 6, y + 13, format(s->median) + spread);
  }
  return finish(body, label_width + plot_width + value_width, y + 8);
}

Chart memory_chart(const std::vector<const Result*>& rows) {
  std::string body = text(0, 14, "memory: peak live bytes (grey), peak RSS (outlined)", "font-weight=\"bold\"");
  double label_width = label_width_for(rows);
  double top = 0;
  for (const Result* r : rows) top = std::max({top, median_of(*r, "peak_live_bytes"), median_of(*r, "peak_rss_bytes")});
  double y = 24, half = (bar_height - 4) / 2;
  for (const Result* r : rows) {
    body += text(label_width - 6, y + 13, r->backend, "text-anchor=\"end\"");
    double live = median_of(*r, "peak_live_bytes"), rss = median_of(*r, "peak_rss_bytes");
    auto bar = [&](double v, double at_y, const char* fill, const char* what) {
      double w = top > 0 ? plot_width * v / top : 0;
      body += fmt::format("<rect x=\"{}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\" stroke=\"black\" "
                          "stroke-width=\"1\"><title>{}</title></rect>\n",
                          label_width, at_y, w, half, fill, xml_escape(r->backend + " " + what + ": " + format_bytes(v)));
    };
    bar(live, y, "#bbb", "peak live");
    bar(rss, y + half, "white", "peak RSS");
    body += text(label_width + (top > 0 ? plot_width * std::max(live, rss) / top : 0) + 6, y + 13,
                 fmt::format("{} / {}", live > 0 ? format_bytes(live) : "-", rss > 0 ? format_bytes(rss) : "-"));
    y += bar_height + 2;
  }
  return finish(body, label_width + plot_width + value_width, y + 8);
}

std::optional<Chart> timeline_chart(const std::vector<const Result*>& rows) {
  double t_max = 0, bytes_max = 0;
  for (const Result* r : rows) {
    if (r->timeline.t_ms.empty()) continue;
    t_max = std::max(t_max, r->timeline.t_ms.back());
    if (!r->timeline.idle_t_ms.empty()) t_max = std::max(t_max, r->timeline.idle_t_ms.back());
    for (const auto* series : {&r->timeline.rss_bytes, &r->timeline.live_bytes, &r->timeline.idle_held_bytes})
      for (double b : *series) bytes_max = std::max(bytes_max, b);
  }
  if (t_max <= 0 || bytes_max <= 0) return std::nullopt;
  bool idle = std::any_of(rows.begin(), rows.end(), [](const Result* r) { return !r->timeline.idle_t_ms.empty(); });
  bool marks = std::any_of(rows.begin(), rows.end(), [](const Result* r) { return !r->timeline.boundary_t_ms.empty(); });
  std::string title = idle ? "memory over the measured phase and the idle after it: RSS solid, live bytes dashed, "
                             "held (RSS less LazyFree) in the idle that follows each phase dotted"
                           : "memory over the measured phase: RSS solid, live bytes dashed";
  if (marks) title += "; the workload's own phase boundaries as thin vertical lines";
  std::string body = text(0, 14, title, "font-weight=\"bold\"");
  double x0 = 80, x1 = line_chart_width - 110, y1 = 28, y0 = y1 + line_height;
  body += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#999\"/>\n", x0, y1,
                      x1 - x0, y0 - y1);
  body += text(x0 - 4, y1 + 10, format_bytes(bytes_max), "text-anchor=\"end\"");
  body += text(x0 - 4, y0, "0", "text-anchor=\"end\"");
  body += text(x1, y0 + 16, fmt::format("{:.0f} ms", t_max), "text-anchor=\"end\"");
  for (size_t i = 0; i < rows.size(); ++i) {
    const Timeline& t = rows[i]->timeline;
    auto polyline = [&](const std::vector<double>& t_ms, const std::vector<double>& series, const char* dash,
                        const char* what, bool labelled) {
      if (series.empty()) return;
      if (series.size() == 1)  // one sample (a phase shorter than the interval): a dot, not a line
        body += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\" fill=\"{}\"/>\n", x0 + (x1 - x0) * t_ms[0] / t_max,
                            y0 - (y0 - y1) * series[0] / bytes_max, palette[i % std::size(palette)]);
      std::string points;
      for (size_t k = 0; k < series.size(); ++k)
        points += fmt::format("{:.1f},{:.1f} ", x0 + (x1 - x0) * t_ms[k] / t_max, y0 - (y0 - y1) * series[k] / bytes_max);
      body += fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\"{}><title>{}</title>"
                          "</polyline>\n",
                          points, palette[i % std::size(palette)], dash, xml_escape(rows[i]->backend + " " + what));
      // The backend's name at the RSS line's end: the lines read without their colours (live
      // bytes, the program's own, barely differ between backends: their labels would overlap).
      if (labelled)
        body += text(x0 + (x1 - x0) * t_ms.back() / t_max + 4, y0 - (y0 - y1) * series.back() / bytes_max + 4,
                     rows[i]->backend, "font-size=\"10\"");
    };
    for (double ms : t.boundary_t_ms)
      body += fmt::format("<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1}\" y2=\"{2}\" stroke=\"{3}\" stroke-width=\"0.7\" "
                          "stroke-dasharray=\"2 2\"><title>{4}</title></line>\n",
                          x0 + (x1 - x0) * ms / t_max, y1, y0, palette[i % std::size(palette)],
                          xml_escape(rows[i]->backend + ": a phase boundary of the workload"));
    polyline(t.t_ms, t.rss_bytes, "", "RSS", t.idle_t_ms.empty());
    polyline(t.t_ms, t.live_bytes, " stroke-dasharray=\"4 3\"", "live bytes", false);
    polyline(t.idle_t_ms, t.idle_held_bytes, " stroke-dasharray=\"1 3\"", "held in the idle", true);
  }
  return finish(body, line_chart_width, y0 + 24);
}

std::optional<Chart> latency_chart(const std::vector<const Result*>& rows) {
  static constexpr const char* points[] = {"p50", "p90", "p99", "p999", "p9999", "max"};
  static constexpr const char* labels[] = {"p50", "p90", "p99", "p99.9", "p99.99", "max"};
  double low = 1e300, high = 0;
  for (const Result* r : rows)
    for (const char* kind : {"malloc", "free"})
      for (const char* p : points)
        if (const Summary* s = summary_of(*r, fmt::format("{}_{}_ns", kind, p).c_str())) {
          // Below the clock's step a time reads as the step: what the clock can tell.
          double ns = std::max(s->median, std::max(1.0, median_of(*r, "latency_resolution_ns")));
          low = std::min(low, ns), high = std::max(high, ns);
        }
  if (high == 0) return std::nullopt;
  double decade_low = std::floor(std::log10(low)), decade_high = std::max(decade_low + 1, std::ceil(std::log10(high)));
  std::string body = text(0, 14, "time of single calls (--latency, medians of the latency repetitions): malloc solid, "
                                 "free dashed, on a log scale", "font-weight=\"bold\"");
  double x0 = 80, x1 = line_chart_width - 110, y1 = 28, y0 = y1 + line_height;
  auto x_of = [&](size_t i) { return x0 + (x1 - x0) * static_cast<double>(i) / (std::size(points) - 1); };
  auto y_of = [&](double ns) { return y0 - (y0 - y1) * (std::log10(ns) - decade_low) / (decade_high - decade_low); };
  body += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#999\"/>\n", x0, y1,
                      x1 - x0, y0 - y1);
  for (double d = decade_low; d <= decade_high; ++d) {
    body += fmt::format("<line x1=\"{}\" x2=\"{}\" y1=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#eee\"/>\n", x0, x1,
                        y_of(std::pow(10, d)), y_of(std::pow(10, d)));
    body += text(x0 - 4, y_of(std::pow(10, d)) + 4, format_duration_ns(std::pow(10, d)), "text-anchor=\"end\"");
  }
  for (size_t i = 0; i < std::size(labels); ++i) body += text(x_of(i), y0 + 16, labels[i], "text-anchor=\"middle\"");
  for (size_t i = 0; i < rows.size(); ++i)
    for (const char* kind : {"malloc", "free"}) {
      std::string line;
      for (size_t k = 0; k < std::size(points); ++k)
        if (const Summary* s = summary_of(*rows[i], fmt::format("{}_{}_ns", kind, points[k]).c_str()))
          line += fmt::format("{:.1f},{:.1f} ", x_of(k),
                              y_of(std::max(s->median, std::max(1.0, median_of(*rows[i], "latency_resolution_ns")))));
      if (line.empty()) continue;
      bool malloc = std::string_view(kind) == "malloc";
      body += fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\"{}><title>{}</title>"
                          "</polyline>\n",
                          line, palette[i % std::size(palette)], malloc ? "" : " stroke-dasharray=\"4 3\"",
                          xml_escape(rows[i]->backend + " " + kind));
      if (malloc)  // the backend's name at its malloc line's end
        body += text(x1 + 4, y_of(std::max(median_of(*rows[i], "malloc_max_ns"), 1.0)) + 4, rows[i]->backend,
                     "font-size=\"10\"");
    }
  return finish(body, line_chart_width, y0 + 24);
}

std::vector<std::vector<const Result*>> by_work(const Results& results) {
  std::vector<std::vector<const Result*>> groups;
  auto work = [](const Result& r) {  // the entry's key, less its backend
    return std::tie(r.workload, r.params, r.seed, r.threads, r.measure, r.directory);
  };
  for (const auto& r : results.results) {
    auto g = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return work(*g.front()) == work(r); });
    if (g == groups.end()) g = groups.insert(groups.end(), std::vector<const Result*>{});
    g->push_back(&r);
  }
  return groups;
}

std::string svg_chart(const Results& results) {
  std::string body;
  double y = 10, width = line_chart_width + 20;
  auto place = [&](const Chart& c, double x) {  // a nested <svg> is placed by its x and y
    body += fmt::format("<g transform=\"translate({:.0f},{:.0f})\">\n{}</g>\n", x, y, c.svg);
  };
  for (const auto& rows : by_work(results)) {
    body += text(10, y + 18, rows.front()->workload, "font-size=\"18\" font-weight=\"bold\"");
    body += text(10, y + 34, work_settings(*rows.front()), "fill=\"#444\"");
    y += 46;
    Chart time = time_chart(rows), memory = memory_chart(rows);
    width = std::max(width, 10 + time.width + 30 + memory.width + 10);
    place(time, 10);
    place(memory, 10 + time.width + 30);
    y += std::max(time.height, memory.height) + 10;
    for (auto chart : {timeline_chart(rows), latency_chart(rows)})
      if (chart) {
        place(*chart, 10);
        y += chart->height + 10;
      }
    y += 10;
  }
  return fmt::format("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                     "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{:.0f}\" height=\"{:.0f}\" "
                     "font-family=\"sans-serif\" font-size=\"12\">\n"
                     "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n{}</svg>\n",
                     width, y, body);
}

}  // namespace allocbench
