#include "launcher/probe_report.hpp"

#include <fstream>
#include <sstream>

namespace allocbench {

ProbeReport read_probe_report(const std::string& path, int pid) {
  ProbeReport report;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string kind;
    int line_pid = 0;
    if (!(words >> kind >> line_pid) || line_pid != pid) continue;
    if (kind == "exec" || kind == "exec-failed") {
      report.exec_pending = kind == "exec";
    } else if (kind == "provider") {
      report.exec_pending = false;
      std::string where, object;
      words >> where >> std::ws;
      std::getline(words, object);  // a path may hold blanks
      report.provider = MallocProvider{where == "program", object};
    } else if (kind == "counts") {
      ProgramCounts c;
      if (words >> c.allocs >> c.frees >> c.bytes_allocated >> c.peak_live_bytes >> c.live_bytes_at_end)
        report.counts = c;
    }
  }
  return report;
}

}  // namespace allocbench
