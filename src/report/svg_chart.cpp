#include "report/svg_chart.hpp"

#include "report/format_units.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace allocbench {
namespace {

constexpr double width = 900, bar_height = 18, label_width = 300, plot_width = 520, line_height = 220;
constexpr const char* palette[] = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#9c755f"};

std::string escape(const std::string& s) {
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

double median_of(const Result& r, const char* metric) {
  auto it = r.metrics.find(metric);
  return it == r.metrics.end() ? 0 : it->second.median;
}

std::string text(double x, double y, const std::string& s, const char* extra = "") {
  return fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" {}>{}</text>\n", x, y, extra, escape(s));
}

// One bar per backend for `metric`, scaled to the largest; returns the height used.
double bars(std::string& out, double y, const std::string& title, const std::vector<const Result*>& rows,
            const char* metric, std::string (*format)(double)) {
  out += text(10, y + 14, title, "font-weight=\"bold\"");
  y += 22;
  double top = 0;
  for (const Result* r : rows) top = std::max(top, median_of(*r, metric));
  for (size_t i = 0; i < rows.size(); ++i) {
    double v = median_of(*rows[i], metric);
    double w = top > 0 ? plot_width * v / top : 0;
    out += text(label_width - 6, y + 13, rows[i]->backend, "text-anchor=\"end\"");
    out += fmt::format("<rect x=\"{}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{}\" fill=\"{}\"><title>{}</title></rect>\n",
                       label_width, y, w, bar_height - 4, palette[i % std::size(palette)], escape(format(v)));
    out += text(label_width + w + 6, y + 13, v > 0 ? format(v) : "-");
    y += bar_height;
  }
  return y + 10;
}

// RSS (solid) and live bytes (dashed) per backend over the phase.
double timelines(std::string& out, double y, const std::vector<const Result*>& rows) {
  double t_max = 0, bytes_max = 0;
  for (const Result* r : rows) {
    if (r->timeline.t_ms.empty()) continue;
    t_max = std::max(t_max, r->timeline.t_ms.back());
    for (double b : r->timeline.rss_bytes) bytes_max = std::max(bytes_max, b);
    for (double b : r->timeline.live_bytes) bytes_max = std::max(bytes_max, b);
  }
  if (t_max <= 0 || bytes_max <= 0) return y;
  out += text(10, y + 14, "memory over the phase: RSS solid, live bytes dashed", "font-weight=\"bold\"");
  y += 24;
  double x0 = 80, x1 = width - 20, y0 = y + line_height, y1 = y;
  out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#999\"/>\n", x0, y1,
                     x1 - x0, y0 - y1);
  out += text(x0 - 4, y1 + 10, format_bytes(bytes_max), "text-anchor=\"end\"");
  out += text(x0 - 4, y0, "0", "text-anchor=\"end\"");
  out += text(x1, y0 + 16, fmt::format("{:.0f} ms", t_max), "text-anchor=\"end\"");
  for (size_t i = 0; i < rows.size(); ++i) {
    const Timeline& t = rows[i]->timeline;
    auto polyline = [&](const std::vector<double>& series, const char* dash) {
      if (series.empty()) return;
      std::string points;
      for (size_t k = 0; k < series.size(); ++k)
        points += fmt::format("{:.1f},{:.1f} ", x0 + (x1 - x0) * t.t_ms[k] / t_max, y0 - (y0 - y1) * series[k] / bytes_max);
      out += fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\"{}><title>{}</title></polyline>\n",
                         points, palette[i % std::size(palette)], dash, escape(rows[i]->backend));
    };
    polyline(t.rss_bytes, "");
    polyline(t.live_bytes, " stroke-dasharray=\"4 3\"");
  }
  return y0 + 30;
}

}  // namespace

std::string svg_chart(const Results& results) {
  std::vector<std::string> workloads;
  for (const auto& r : results.results)
    if (std::find(workloads.begin(), workloads.end(), r.workload) == workloads.end()) workloads.push_back(r.workload);

  std::string body;
  double y = 10;
  for (const auto& w : workloads) {
    std::vector<const Result*> rows;
    for (const auto& r : results.results)
      if (r.workload == w) rows.push_back(&r);
    body += text(10, y + 18, w, "font-size=\"18\" font-weight=\"bold\"");
    y += 30;
    bool timed = std::any_of(rows.begin(), rows.end(), [](const Result* r) { return r->metrics.count("wall_ns"); });
    if (timed) y = bars(body, y, "time (median)", rows, "wall_ns", format_duration_ns);
    else y = bars(body, y, "estimated cycles (callgrind, median)", rows, "est_cycles", format_quantity);
    y = bars(body, y, "peak live bytes", rows, "peak_live_bytes", format_bytes);
    y = bars(body, y, "peak RSS", rows, "peak_rss_bytes", format_bytes);
    y = timelines(body, y, rows);
    y += 10;
  }
  return fmt::format("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                     "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{:.0f}\" "
                     "font-family=\"sans-serif\" font-size=\"12\">\n"
                     "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n{}</svg>\n",
                     width, y, body);
}

}  // namespace allocbench
