// CSV, long form: one row per backend × workload × metric, for spreadsheets and scripts.
#include "report/report.hpp"
#include "results/metrics.hpp"

#include <fmt/format.h>

namespace allocbench {
namespace {

// RFC 4180: quote a field that holds a comma, a quote or a line break.
std::string field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

}  // namespace

std::string csv_report(const ReportInput& in) {
  std::string out = "backend,backend_version,workload,params,threads,reps,metric,unit,median,min,max\n";
  for (const auto& r : in.results.results) {
    std::string params = params_text(r.params, ";");
    for (const auto& [name, s] : r.metrics) {
      const MetricInfo* m = find_metric(name);
      out += fmt::format("{},{},{},{},{},{},{},{},{},{},{}\n", field(r.backend), field(r.backend_version),
                         field(r.workload), field(params), r.threads, r.reps, name, m ? m->unit : "", s.median,
                         s.min, s.max);
    }
  }
  return out;
}

}  // namespace allocbench
