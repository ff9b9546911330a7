// CSV, long form: one row per backend × workload × metric, for spreadsheets and scripts.
// With --baseline or --reference, each row also carries its verdict.
#include "report/report.hpp"
#include "report/verdict_report.hpp"
#include "results/metrics.hpp"

#include <fmt/format.h>

#include <cmath>

namespace allocbench {
namespace {

// RFC 4180: quote a field that holds a comma, a quote or a line break.
std::string field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

// The comparison of one metric of an entry, or the entry's own (added, not comparable).
const Comparison* find_comparison(const CompareReport& report, const ResultKey& key, const std::string& metric) {
  const Comparison* entry = nullptr;
  for (const auto& c : report.rows) {
    if (c.key != key) continue;
    if (c.metric == metric) return &c;
    if (c.metric.empty()) entry = &c;
  }
  return entry;
}

// verdict, gated, estimator, baseline, change, threshold, p, evidence
std::string verdict_fields(const Comparison* c) {
  if (!c) return std::string(8, ',');  // eight empty fields
  bool figures = c->evidence != Evidence::entry;
  return fmt::format(",{},{},{},{},{},{},{},{}", to_string(c->verdict), c->gated, figures ? to_string(c->estimator) : "",
                     figures ? fmt::format("{}", c->baseline) : "",
                     figures && !std::isinf(c->change) ? fmt::format("{}", c->change) : "",
                     figures ? fmt::format("{}", c->threshold) : "", c->tested ? fmt::format("{}", c->p) : "",
                     field(evidence_text(*c)));
}

std::string key_fields(const ResultKey& k) {
  return fmt::format("{},{},{},{}", field(k.workload), field(params_text(k.params, ";")), k.seed, k.threads);
}

}  // namespace

std::string csv_report(const ReportInput& in) {
  std::string out = "backend,backend_version,workload,params,seed,threads,reps,metric,unit,median,min,max";
  if (in.verdict) out += ",verdict,gated,estimator,baseline,change,threshold,p,evidence";
  out += "\n";
  for (const auto& r : in.results.results) {
    ResultKey key = key_of(r);
    for (const auto& [name, s] : r.metrics) {
      const MetricInfo* m = find_metric(name);
      out += fmt::format("{},{},{},{},{},{},{},{},{}", field(r.backend), field(r.backend_version), key_fields(key),
                         r.reps, name, m ? m->unit : "", s.median, s.min, s.max);
      if (in.verdict) out += verdict_fields(find_comparison(*in.verdict, key, name));
      out += "\n";
    }
  }
  if (in.verdict)  // entries of the baseline that did not run have no metric rows of their own
    for (const auto& c : in.verdict->rows)
      if (c.verdict == Verdict::missing && c.metric.empty())
        out += fmt::format("{},,{},,,,,,{}\n", field(c.key.backend), key_fields(c.key), verdict_fields(&c));
  return out;
}

}  // namespace allocbench
