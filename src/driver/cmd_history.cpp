// allocbench history: the series of results over commits (a baseline file's committed
// versions, or results files in commit order), searched for change points and drift.
#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "driver/commands.hpp"
#include "driver/gate_options.hpp"
#include "driver/git.hpp"
#include "report/history_report.hpp"
#include "results/history.hpp"
#include "results/results_file.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <sstream>

namespace allocbench {
namespace {

namespace fs = std::filesystem;

struct HistoryCommand {
  std::vector<std::string> files;
  std::string git_path;
  std::string since;
  GateOptions gate;
  std::string format = "table";
  std::string output;
};

// The committed versions of a results file, oldest first, following renames; with
// `since`, the file as it was at that commit, then every later change of it.
std::vector<HistoryPoint> points_from_git(const std::string& path, const std::string& since) {
  std::string top = git_top_level(path, "--git");
  std::string relative = fs::relative(fs::absolute(path), fs::canonical(top)).string();
  auto version = [&](const std::string& commit, const std::string& at_path) {
    std::string where = fmt::format("{}:{}", commit.substr(0, 12), at_path);
    return parse_results_text(git(top, {"show", commit + ":" + at_path}, "--git: reading " + where), where, "baseline");
  };
  // Every commit that changed the file, newest first, with its path there (renames
  // followed): "\x01HASH\tSUBJECT", then "M\tPATH" (or "R100\tOLD\tNEW", "D\tPATH").
  // Plain output whatever the user's configuration: no signatures, no quoted paths.
  std::string log = git(top, {"-c", "log.showSignature=false", "-c", "core.quotePath=false", "log", "--follow",
                              "--name-status", "--format=%x01%H%x09%s", "--", relative},
                        fmt::format("--git '{}'", path));
  struct Change {
    std::string commit, subject, path;
  };
  std::vector<Change> changes;
  std::istringstream lines(log);
  std::string line, commit, subject;
  while (std::getline(lines, line)) {
    if (line.starts_with('\x01')) {
      auto tab = line.find('\t');
      commit = line.substr(1, tab - 1);
      subject = tab == std::string::npos ? "" : line.substr(tab + 1);
    } else if (!line.empty() && !commit.empty() && line[0] != 'D') {  // deleted there: nothing to read
      changes.push_back({commit, subject, line.substr(line.rfind('\t') + 1)});
    }
  }
  std::reverse(changes.begin(), changes.end());
  if (changes.empty()) throw usage_error("--git '{}': the file has no history in git (is it committed?)", path);
  std::vector<HistoryPoint> points;
  if (!since.empty()) {
    // The file as it was at REV (under its name there), then every change after REV.
    std::string rev = git_commit(top, since, "--since");
    auto at_or_before = [&](const Change& c) { return git_ok(top, {"merge-base", "--is-ancestor", c.commit, rev}); };
    auto first_after = std::find_if(changes.begin(), changes.end(), [&](const Change& c) { return !at_or_before(c); });
    if (first_after == changes.begin() || !git_ok(top, {"cat-file", "-e", rev + ":" + std::prev(first_after)->path}))
      throw usage_error("--since '{}': '{}' does not exist at that commit", since, path);
    points.push_back({rev, git_subject(top, rev), version(rev, std::prev(first_after)->path)});
    changes.erase(changes.begin(), first_after);
  }
  for (const Change& c : changes) points.push_back({c.commit, c.subject, version(c.commit, c.path)});
  return points;
}

// Results files in the order given; a directory gives its .json files in name order.
std::vector<HistoryPoint> points_from_files(const std::vector<std::string>& files) {
  std::vector<std::string> paths;
  for (const auto& f : files) {
    if (!fs::is_directory(f)) {
      paths.push_back(f);
      continue;
    }
    std::vector<std::string> inside;
    for (const auto& e : fs::directory_iterator(f))
      if (e.path().extension() == ".json") inside.push_back(e.path().string());
    if (inside.empty()) throw usage_error("history: directory '{}' holds no .json results files", f);
    std::sort(inside.begin(), inside.end());
    paths.insert(paths.end(), inside.begin(), inside.end());
  }
  std::vector<HistoryPoint> points;
  for (const auto& p : paths) {
    Results r = read_results_file(p, "results");
    std::string subject = r.environment.git_commit.empty() ? "" : "allocbench " + r.environment.git_commit;
    points.push_back({fs::path(p).stem().string(), subject, std::move(r)});
  }
  return points;
}

int run_history(const HistoryCommand& o) {
  if (o.files.empty() == o.git_path.empty())
    throw usage_error("history: give results files (or directories of them) in commit order, or --git BASELINE");
  if (!o.since.empty() && o.git_path.empty()) throw usage_error("--since: goes with --git");
  CompareOptions options = o.gate.parse();
  if (!o.output.empty()) check_writable(o.output, "--output");
  std::vector<HistoryPoint> points = o.git_path.empty() ? points_from_files(o.files) : points_from_git(o.git_path, o.since);
  if (points.size() < history_min_points)
    throw usage_error("history: {} point{} ({}): change points need at least {}", points.size(),
                      points.size() == 1 ? "" : "s", o.git_path.empty() ? "files" : "committed versions of " + o.git_path,
                      history_min_points);
  HistoryReport report = analyse_history(std::move(points), options);
  bool analysed = std::any_of(report.series.begin(), report.series.end(), [](const HistorySeries& s) {
    return s.samples.size() - s.first >= history_min_points && s.note.find("not analysed") == std::string::npos;
  });
  if (!analysed)
    throw usage_error("history: no cell and metric was measured in {} or more of the points with the same work: are "
                      "they results of the same runs (backend, workload, parameters, seed, threads, --measure)?",
                      history_min_points);
  std::string text = history_report(report, o.format);
  if (o.output.empty()) fmt::print("{}", text);
  else write_file_atomically(o.output, text, "--output");
  fmt::print(stderr, "allocbench: {}\n", history_summary(report));
  return static_cast<int>(report.regressions() ? ExitCode::regression : ExitCode::ok);
}

}  // namespace

void setup_history(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "history", "Find the commits where a figure changed, and the drift since a commit; exit 1 on a regression.");
  auto opt = std::make_shared<HistoryCommand>();
  cmd->add_option("FILES", opt->files, "Results files in commit order, or directories of them (.json, in name order).");
  cmd->add_option("--git", opt->git_path, "A baseline file committed to git: its committed versions are the series.");
  cmd->add_option("--since", opt->since,
                  "With --git: start at the file as it was at this commit; the cumulative change counts from there.");
  add_gate_options(*cmd, opt->gate);
  cmd->add_option("--format", opt->format, "Report format: table, markdown, json or html (default: table).")
      ->check(CLI::IsMember({"table", "markdown", "json", "html"}));
  cmd->add_option("--output", opt->output, "Write the report to FILE (atomically) instead of stdout.");
  cmd->callback([opt, &exit_code] { exit_code = run_history(*opt); });
}

}  // namespace allocbench
