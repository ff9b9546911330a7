#include "report/budget_report.hpp"

#include "report/format_units.hpp"

#include <fmt/format.h>

namespace allocbench {

std::string describe(const BudgetBreach& b) {
  std::string when = b.crossed_at_ms ? fmt::format("first crossed {:.1f} ms into the phase", *b.crossed_at_ms)
                                     : std::string("between two timeline samples");
  return fmt::format("{} / {}: {} {} exceeds the {} budget, {}", b.backend, b.workload,
                     b.metric == "peak_rss_bytes" ? "peak RSS" : "peak live bytes", format_bytes(b.value),
                     format_bytes(b.budget), when);
}

nlohmann::json budget_json(const std::vector<BudgetBreach>& breaches) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& b : breaches)
    list.push_back({{"backend", b.backend}, {"workload", b.workload}, {"metric", b.metric}, {"value", b.value},
                    {"budget", b.budget},
                    {"crossed_at_ms", b.crossed_at_ms ? nlohmann::json(*b.crossed_at_ms) : nlohmann::json()}});
  return list;
}

}  // namespace allocbench
