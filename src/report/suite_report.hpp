// allocbench suite's summary, as mimalloc-bench prints it: a row per program with each
// backend's time and peak RSS relative to the reference's (system), the geometric mean
// across programs with how many it rests on, and significance marks; in text, markdown,
// HTML (a chart per program beside the summary's) and JSON.
#pragma once

#include "report/report.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace allocbench {

struct SuiteEntry {
  std::string program, package, behaviour;
  std::string workload;  // the cmd: workload it ran as
  std::string replay;    // with --replay: the trace: workload of its recording; empty: none
  std::string skipped;   // why it did not run (its package is not installed); empty: it ran
};

// One backend on one program, against the reference on the same program.
struct SuiteCell {
  std::optional<double> time, rss;  // ratios to the reference's medians
  double time_p = 1, rss_p = 1;     // two-sided Mann-Whitney U of the repetitions
  std::string failed;               // why the row has no figures (refused, failed)
};

struct SuiteSummary {
  std::string reference;
  std::vector<std::string> backends;  // the others, in the run's order
  struct Program {
    const SuiteEntry* entry;
    const Result* reference = nullptr;    // null: the reference has no figures here
    std::string reference_failed;
    std::map<std::string, SuiteCell> cells;  // by backend
    // With --replay: the backends fastest first, run and replayed (those with both), and the
    // share of the real time differences from the reference that the replay's explain:
    // least squares k of replay = k × real over the other backends (make bench item 14).
    struct Replay {
      std::vector<std::string> real_order, replay_order;
      std::optional<double> explained;
      std::map<std::string, std::string> failed;  // backends without a replay's figures, and why
      bool ranked() const { return real_order.size() >= 2; }  // an order to agree on
    };
    std::optional<Replay> replay;
  };
  std::vector<Program> programs;
  struct Mean {
    double time = 0, rss = 0;  // geometric means of the ratios; 0: none
    int time_programs = 0, rss_programs = 0;
  };
  std::map<std::string, Mean> geomean;  // by backend
};

SuiteSummary summarize_suite(const std::vector<SuiteEntry>& entries, const Results& results,
                             const std::vector<FailedCell>& failures, const std::string& reference);

struct SuiteSettings {
  std::string date;  // when it ran, YYYY-MM-DD
  double scale = 1;
  int reps = 0;
};

// "table", "markdown", "html" or "json" (the summary, its settings and every result).
std::string suite_report(const SuiteSummary& summary, const Results& results, const SuiteSettings& settings,
                         const std::string& format);
const std::vector<std::string_view>& suite_formats();

inline constexpr double suite_alpha = 0.05;  // a ratio marked * differs at this level, ** at a fifth of it

}  // namespace allocbench
