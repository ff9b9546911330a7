#include "report/run_report.hpp"

#include "report/budget_report.hpp"
#include "report/verdict_report.hpp"
#include "results/results_json.hpp"

#include <cmath>

namespace allocbench {

namespace {

nlohmann::json ranking_json(const std::vector<Rank>& ranks, double alpha) {
  nlohmann::json rows = nlohmann::json::array();
  for (const Rank& r : ranks) {
    nlohmann::json row = {{"workload", r.workload}, {"backend", r.backend}, {"fastest", r.fastest},
                          {"is_fastest", r.is_fastest}, {"samples", r.samples}, {"ratio", r.ratio},
                          {"answer", to_string(r.answer)}};
    if (!r.is_fastest) {
      row["p"] = r.p;
      row["ratio_interval"] = {r.interval.low, std::isinf(r.interval.high) ? nlohmann::json(nullptr) : nlohmann::json(r.interval.high)};
    }
    rows.push_back(row);
  }
  return {{"alpha", alpha}, {"margin", ranking_margin}, {"rows", rows}};
}

}  // namespace

RunReport run_report(const ReportInput& input, std::string_view format, const std::vector<BudgetBreach>& breaches) {
  const CompareReport* verdict = input.verdict;
  if (format == "json" && (verdict || !breaches.empty() || input.ranking)) {
    nlohmann::json j = to_json(input.results);
    if (verdict) j["comparison"] = verdict_json(*verdict);
    if (input.ranking) j["ranking"] = ranking_json(*input.ranking, input.ranking_alpha);
    if (!breaches.empty()) j["over_budget"] = budget_json(breaches);
    return {j.dump(2) + "\n", ""};
  }
  std::string text = find_reporter(format)(input);
  // The CSV and the HTML report carry the verdict in their own form; a verdict table
  // after the files other tools read (bmf, gbench) would break them.
  if (format == "json" || format == "csv" || format == "html") return {text, ""};
  if (format == "bmf" || format == "gbench") return {text, verdict ? render_verdict(*verdict, "table") : ""};
  if (verdict) text.append("\n").append(render_verdict(*verdict, format));
  if (!breaches.empty()) text += "\nover budget\n";
  for (const auto& b : breaches) text += "   " + describe(b) + "\n";
  return {text, ""};
}

}  // namespace allocbench
