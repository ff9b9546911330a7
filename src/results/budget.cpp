#include "results/budget.hpp"

namespace allocbench {

std::vector<BudgetBreach> check_budgets(const Results& results, const Budgets& budgets) {
  std::vector<BudgetBreach> breaches;
  for (const auto& r : results.results) {
    auto check = [&](const char* metric, int64_t budget, const std::vector<double>& series) {
      auto it = r.metrics.find(metric);
      if (budget <= 0 || it == r.metrics.end() || it->second.median <= static_cast<double>(budget)) return;
      BudgetBreach b{r.backend, r.workload, metric, it->second.median, static_cast<double>(budget), std::nullopt};
      for (size_t i = 0; i < series.size() && i < r.timeline.t_ms.size(); ++i)
        if (series[i] > b.budget) {
          b.crossed_at_ms = r.timeline.t_ms[i];
          break;
        }
      breaches.push_back(b);
    };
    check("peak_rss_bytes", budgets.max_rss, r.timeline.rss_bytes);
    check("peak_live_bytes", budgets.max_live, r.timeline.live_bytes);
  }
  return breaches;
}

}  // namespace allocbench
