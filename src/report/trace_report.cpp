#include "report/trace_report.hpp"

#include "report/format_units.hpp"
#include "report/text_columns.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace allocbench {
namespace {

using trace::TraceSummary;

std::string share(uint64_t part, uint64_t whole) {
  return whole ? format_percent(static_cast<double>(part) / static_cast<double>(whole)) : "-";
}

// "≤ 16 B", ..., "> 1.00 MiB" (or counts, for lifetimes).
template <typename Bounds, typename Format>
std::vector<std::string> bucket_labels(const Bounds& bounds, Format format) {
  std::vector<std::string> labels;
  for (uint64_t b : bounds) labels.push_back("≤ " + format(b));
  labels.push_back("> " + format(bounds.back()));
  return labels;
}

std::string bytes_label(uint64_t b) { return format_bytes(static_cast<double>(b)); }

template <typename Counts>
std::string distribution(const std::string& title, const std::vector<std::string>& labels, const Counts& counts,
                         uint64_t total) {
  std::vector<std::vector<std::string>> rows;
  for (size_t i = 0; i < counts.size(); ++i)
    if (counts[i]) rows.push_back({labels[i], format_count(counts[i]), share(counts[i], total)});
  return title + "\n" + text_columns({"", "objects", "share"}, rows, {Align::left, Align::right, Align::right});
}

// The live-bytes curve in 50 characters of eight heights, each the most of two points,
// scaled to the peak: the shape of the run at a glance (builds, rounds, a drift).
std::string live_sparkline(const std::array<uint64_t, trace::live_curve_points>& curve) {
  static const char* const heights[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
  uint64_t peak = std::max<uint64_t>(1, *std::max_element(curve.begin(), curve.end()));
  std::string out;
  for (size_t i = 0; i + 1 < curve.size(); i += 2) {
    uint64_t v = std::max(curve[i], curve[i + 1]);
    out += heights[std::min<uint64_t>(7, v * 8 / (peak + 1))];
  }
  return out + " (0 to " + format_bytes(static_cast<double>(peak)) + ")";
}

}  // namespace

std::string trace_text(const std::string& path, const TraceSummary& s) {
  std::string out = fmt::format("{}: {} operations on {} thread{} over {}\n", path, format_count(s.operations), s.threads,
                                s.threads == 1 ? "" : "s", format_duration_ns(static_cast<double>(s.duration_us) * 1e3));
  if (!s.complete) out += "   note: no end record: the program did not exit normally; the trace holds what was flushed\n";
  if (s.dropped) out += fmt::format("   note: {} calls came after the trace was closed at exit and are not in it\n", format_count(s.dropped));

  std::vector<std::vector<std::string>> ops;
  for (size_t i = 0; i < s.per_op.size(); ++i)
    if (s.per_op[i]) ops.push_back({trace::op_names[i], format_count(s.per_op[i]), share(s.per_op[i], s.operations)});
  out += "operations\n" + text_columns({"", "calls", "share"}, ops, {Align::left, Align::right, Align::right});

  std::vector<std::vector<std::string>> facts = {
      {"allocations", format_count(s.allocations) + ", " + format_bytes(static_cast<double>(s.bytes_allocated))},
      {"frees", format_count(s.frees)},
      {"peak live", fmt::format("{} (at operation {})", format_bytes(static_cast<double>(s.peak_live_bytes)),
                                format_count(s.peak_at + 1))},
      {"live over the run", live_sparkline(s.live_curve)},
      {"live at end", fmt::format("{} in {} object{}", format_bytes(static_cast<double>(s.live_bytes_at_end)),
                                  format_count(s.live_objects_at_end), s.live_objects_at_end == 1 ? "" : "s")},
  };
  if (s.threads > 1) {
    std::string per;
    for (size_t t = 0; t < s.operations_per_thread.size(); ++t)
      per += fmt::format("{}{}", t ? ", " : "", format_count(s.operations_per_thread[t]));
    facts.push_back({"per thread", per + " operations"});
  }
  if (s.unknown_frees || s.double_frees || s.reused_addresses)
    facts.push_back({"anomalies", fmt::format("{} frees of unknown objects, {} double frees, {} addresses allocated "
                                              "again without a free (the replay skips the frees)",
                                              format_count(s.unknown_frees), format_count(s.double_frees), format_count(s.reused_addresses))});
  out += "objects\n" + text_columns({"", ""}, facts, {Align::left, Align::left});

  out += distribution("sizes (requested bytes)", bucket_labels(trace::size_bounds, bytes_label), s.sizes, s.allocations);
  out += distribution("lifetimes (operations of the program between allocation and free)",
                      bucket_labels(trace::lifetime_bounds, format_count), s.lifetimes, s.frees);
  return out;
}

nlohmann::json trace_json(const std::string& path, const TraceSummary& s) {
  nlohmann::json per_op = nlohmann::json::object();
  for (size_t i = 0; i < s.per_op.size(); ++i)
    if (s.per_op[i]) per_op[trace::op_names[i]] = s.per_op[i];
  auto buckets = [](const auto& bounds, const auto& counts) {
    nlohmann::json out = nlohmann::json::array();
    for (size_t i = 0; i < counts.size(); ++i)
      out.push_back({{"up_to", i < bounds.size() ? nlohmann::json(bounds[i]) : nlohmann::json(nullptr)}, {"count", counts[i]}});
    return out;
  };
  return {{"file", path},
          {"operations", s.operations},
          {"threads", s.threads},
          {"complete", s.complete},
          {"dropped", s.dropped},
          {"duration_us", s.duration_us},
          {"per_operation", per_op},
          {"allocations", s.allocations},
          {"frees", s.frees},
          {"bytes_allocated", s.bytes_allocated},
          {"peak_live_bytes", s.peak_live_bytes},
          {"peak_at", s.peak_at},
          {"live_objects_at_end", s.live_objects_at_end},
          {"live_bytes_at_end", s.live_bytes_at_end},
          {"unknown_frees", s.unknown_frees},
          {"double_frees", s.double_frees},
          {"reused_addresses", s.reused_addresses},
          {"operations_per_thread", s.operations_per_thread},
          {"sizes", buckets(trace::size_bounds, s.sizes)},
          {"lifetimes", buckets(trace::lifetime_bounds, s.lifetimes)},
          {"live_curve", s.live_curve}};
}

}  // namespace allocbench
