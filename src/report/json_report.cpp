// The results file itself (schema allocbench-results/1); failed cells are left out,
// as the exit code and stderr already report them.
#include "report/report.hpp"
#include "results/results_file.hpp"

namespace allocbench {

std::string json_report(const ReportInput& in) { return results_file_text(in.results); }

}  // namespace allocbench
