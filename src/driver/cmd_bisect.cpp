// allocbench bisect --good REV --bad REV [--build CMD] -- RUN-ARGS: the first commit whose
// run is a regression against the good commit's, found by bisection in a clone of the
// repository of its own (the user's checkout, index and worktrees are never touched).
#include "common/error.hpp"
#include "common/scratch_directory.hpp"
#include "driver/commands.hpp"
#include "driver/git.hpp"
#include "driver/interrupt.hpp"
#include "driver/spawn.hpp"
#include "report/text_columns.hpp"
#include "report/verdict_report.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

extern char** environ;

namespace allocbench {
namespace {

namespace fs = std::filesystem;

struct BisectCommand {
  std::string good, bad, build, repo = ".", runner;
  std::string format = "table";
  std::vector<std::string> run_args;
};

enum class Status { good, regression, skipped };

struct Measured {
  std::string commit, subject;
  Status status = Status::skipped;
  std::string why;                  // skipped: the build's or the run's failure
  std::vector<std::string> figures; // regressions: "system · small-object-churn · instructions +2.1%"
};

constexpr auto no_limit = std::chrono::hours(24);

// The run's flags, with what bisect sets itself refused and instruction counts the default.
std::vector<std::string> run_flags(const std::vector<std::string>& args) {
  for (const auto& a : args)
    for (const char* own : {"--baseline", "--reference", "--save-baseline", "--output", "--format", "--shard"})
      if (a == own || a.starts_with(std::string(own) + "="))
        throw usage_error("bisect: {} is bisect's to set: give the run's other flags after --", own);
  std::vector<std::string> flags = args;
  bool measure = std::any_of(args.begin(), args.end(), [](const auto& a) { return a.starts_with("--measure"); });
  bool program = std::any_of(args.begin(), args.end(), [](const auto& a) { return a.find("cmd:") != std::string::npos; });
  if (!measure && !program) flags.insert(flags.end(), {"--measure", "instructions"});
  if ((measure && std::find(args.begin(), args.end(), "instructions") == args.end()) || program)
    warn("bisect: wall time changes from run to run on a shared machine, and a noisy verdict misleads a bisection: "
         "prefer --measure instructions (the default where the workload allows it), or use --reps auto");
  return flags;
}

// The good commit's run is the baseline: the flags that judge a run are not its.
std::vector<std::string> without_gate_flags(const std::vector<std::string>& flags) {
  std::vector<std::string> out;
  for (size_t i = 0; i < flags.size(); ++i) {
    bool gate = false;
    for (const char* f : {"--threshold", "--metric", "--ignore-env", "--inconclusive"}) {
      if (flags[i] == f) {
        gate = true;
        if (std::string_view(f) != "--ignore-env") ++i;  // and its value
      } else if (flags[i].starts_with(std::string(f) + "=")) {
        gate = true;
      }
    }
    if (!gate) out.push_back(flags[i]);
  }
  return out;
}

class Bisection {
 public:
  Bisection(const BisectCommand& o, const std::string& top)
      : o_(o), top_(top), scratch_("bisect"), tree_(scratch_.file("tree")), tmp_(scratch_.file("tmp")) {
    fs::create_directories(tmp_);
    git(top_, {"clone", "--quiet", "--shared", "--no-checkout", top_, tree_}, "bisect: cloning the repository");
    for (char** e = environ; *e; ++e)
      if (!std::string_view(*e).starts_with("TMPDIR=")) env_.emplace_back(*e);
    env_.push_back("TMPDIR=" + tmp_);  // what a killed child leaves goes with the clone
    runner_ = o.runner.empty() ? fs::read_symlink("/proc/self/exe").string() : o.runner;
  }

  // Checks out, builds and runs `commit`; against the good commit's results unless it is the good one.
  Measured measure(const std::string& commit, bool is_good) {
    Measured m;
    m.commit = commit;
    m.subject = git_subject(top_, commit);
    git(tree_, {"checkout", "--quiet", "--force", "--detach", commit}, "bisect: checking out " + commit.substr(0, 12));
    ++builds_;
    if (!o_.build.empty()) {
      ProcessOutcome b = in_tree({"sh", "-c", o_.build});
      stop_if_interrupted();
      if (!b.ok()) return skipped(m, "the build " + b.describe_failure());
    }
    std::string out = scratch_.file(commit + ".json");
    std::vector<std::string> argv{runner_, "run"};
    std::vector<std::string> flags = is_good ? without_gate_flags(flags_) : flags_;
    argv.insert(argv.end(), flags.begin(), flags.end());
    argv.insert(argv.end(), {"--format", "json", "--output", out});
    if (!is_good) argv.insert(argv.end(), {"--baseline", baseline_});
    ProcessOutcome r = in_tree(argv);
    stop_if_interrupted();
    ++runs_;
    if (is_good) {
      if (!r.ok()) throw run_error("bisect: the good commit {} could not be measured: the run {}", commit.substr(0, 12), r.describe_failure());
      baseline_ = out;
      m.status = Status::good;
      return m;
    }
    if (r.exit_code != 0 && r.exit_code != 1) return skipped(m, "the run " + r.describe_failure());
    // Exit 1 is also a memory budget or an inconclusive verdict: the regressions decide.
    int regressions = figures(m, out);
    if (r.exit_code == 1 && regressions == 0)
      return skipped(m, "the run failed its check without a regression (an inconclusive verdict or a memory budget)");
    m.status = regressions > 0 ? Status::regression : Status::good;
    return m;
  }

  void set_flags(std::vector<std::string> flags) { flags_ = std::move(flags); }
  int builds() const { return builds_; }
  int runs() const { return runs_; }

 private:
  ProcessOutcome in_tree(std::vector<std::string> argv) {
    argv.insert(argv.begin(), {"sh", "-c", "cd \"$0\" && exec \"$@\"", tree_});
    return run_process(argv, no_limit, &env_);
  }

  static void stop_if_interrupted() {
    if (interrupted()) throw run_error("bisect: interrupted; the clone it worked in is removed");
  }

  static Measured skipped(Measured m, std::string why) {
    m.status = Status::skipped;
    m.why = std::move(why);
    return m;
  }

  // What the verdict found, from the run's JSON: its regressions, or every change; returns
  // the count of gated regressions.
  static int figures(Measured& m, const std::string& file) {
    std::ifstream in(file);
    nlohmann::json report = nlohmann::json::parse(in, nullptr, false);
    if (report.is_discarded() || !report.contains("comparison")) return 0;
    int regressions = report["comparison"].value("regressions", 0);
    for (const auto& c : report["comparison"]["comparisons"]) {
      if (!c.contains("metric") || !c.contains("change") || c["change"].is_null()) continue;
      double change = c["change"];
      if (c["verdict"] == "regression" || (regressions == 0 && change != 0))
        m.figures.push_back(fmt::format("{} · {} · {} {} → {} ({})", c["backend"].get<std::string>(),
                                        c["workload"].get<std::string>(), c["metric"].get<std::string>(),
                                        metric_value(c["metric"], c["baseline"]), metric_value(c["metric"], c["current"]),
                                        change_text(change)));
    }
    return regressions;
  }

  const BisectCommand& o_;
  std::string top_;
  ScratchDirectory scratch_;
  std::string tree_, tmp_, runner_, baseline_;
  std::vector<std::string> env_, flags_;
  int builds_ = 0, runs_ = 0;
};

std::string status_text(const Measured& m) {
  switch (m.status) {
    case Status::good: return "good";
    case Status::regression: return "REGRESSION";
    case Status::skipped: return "skipped";
  }
  return "";
}

int run_bisect(const BisectCommand& o) {
  std::string top = git_top_level(o.repo, "--repo");
  std::string good = git_commit(top, o.good, "--good"), bad = git_commit(top, o.bad, "--bad");
  if (good == bad) throw usage_error("--good and --bad are the same commit {}", good.substr(0, 12));
  if (!git_ok(top, {"merge-base", "--is-ancestor", good, bad}))
    throw usage_error("--good '{}' is not an ancestor of --bad '{}'", o.good, o.bad);
  std::vector<std::string> commits;  // after good, up to and with bad, oldest first
  std::istringstream list(git(top, {"rev-list", "--reverse", "--first-parent", "--ancestry-path", good + ".." + bad}, "bisect"));
  for (std::string line; std::getline(list, line);)
    if (!line.empty()) commits.push_back(line);
  if (o.run_args.empty()) throw usage_error("bisect: give the run's flags after --, e.g. -- --backend preload:./liba.so");
  if (!git(top, {"--no-optional-locks", "status", "--porcelain"}, "bisect").empty())  // no index refresh written
    fmt::print(stderr, "allocbench: note: the checkout has uncommitted changes; bisect works in a clone of its own "
                       "and leaves them alone\n");

  Bisection bisection(o, top);
  bisection.set_flags(run_flags(o.run_args));
  std::vector<Measured> measured{bisection.measure(good, true)};
  // lo: the last commit known good (-1: the good one); hi: the first known or assumed bad.
  long lo = -1, hi = static_cast<long>(commits.size()) - 1;
  std::vector<int> state(commits.size(), 0);  // 0 untested, 1 good, 2 bad, 3 skipped
  auto record = [&](long i) {
    Measured m = bisection.measure(commits[static_cast<size_t>(i)], false);
    state[static_cast<size_t>(i)] = m.status == Status::good ? 1 : m.status == Status::regression ? 2 : 3;
    measured.push_back(std::move(m));
    return state[static_cast<size_t>(i)];
  };
  for (;;) {
    // The untested commit nearest the middle of (lo, hi).
    long mid = -1;
    for (long d = 0; mid < 0 && d <= hi - lo; ++d)
      for (long c : {(lo + hi) / 2 - d, (lo + hi) / 2 + d})
        if (mid < 0 && c > lo && c < hi && state[static_cast<size_t>(c)] == 0) mid = c;
    if (mid < 0) break;
    int s = record(mid);
    if (s == 1) lo = mid;
    if (s == 2) hi = mid;
  }
  if (state[static_cast<size_t>(hi)] == 0) record(hi);
  std::sort(measured.begin() + 1, measured.end(), [&](const Measured& a, const Measured& b) {
    return std::find(commits.begin(), commits.end(), a.commit) < std::find(commits.begin(), commits.end(), b.commit);
  });

  int hi_state = state[static_cast<size_t>(hi)];
  std::vector<std::string> candidates;  // skipped commits between the last good and the first bad, then it
  for (long i = lo + 1; i <= hi; ++i)
    if (state[static_cast<size_t>(i)] == 3 || i == hi) candidates.push_back(commits[static_cast<size_t>(i)]);
  const Measured* first_bad = nullptr;
  for (const auto& m : measured)
    if (m.commit == commits[static_cast<size_t>(hi)] && m.status == Status::regression) first_bad = &m;

  std::string conclusion;
  if (hi_state == 1) conclusion = fmt::format("no regression: {} is not a regression against {}", bad.substr(0, 12), good.substr(0, 12));
  else if (hi_state == 3) conclusion = fmt::format("cannot tell: {} ({}) could not be measured", bad.substr(0, 12), measured.back().why);
  else if (candidates.size() == 1) conclusion = fmt::format("first bad commit: {} {}", first_bad->commit, first_bad->subject);
  else
    conclusion = fmt::format("the first bad commit is one of {} (the others could not be measured): {}",
                             candidates.size(), fmt::join(candidates, ", "));

  if (o.format == "json") {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& m : measured)
      list.push_back({{"commit", m.commit}, {"subject", m.subject}, {"status", status_text(m) == "REGRESSION" ? "regression" : status_text(m)},
                      {"why", m.why}, {"figures", m.figures}});
    nlohmann::json out = {{"good", good}, {"bad", bad}, {"commits_between", commits.size()}, {"measured", list},
                          {"first_bad", hi_state == 2 && candidates.size() == 1 ? nlohmann::json(first_bad->commit) : nlohmann::json(nullptr)},
                          {"candidates", hi_state == 2 ? nlohmann::json(candidates) : nlohmann::json::array()},
                          {"builds", bisection.builds()}, {"runs", bisection.runs()}, {"conclusion", conclusion}};
    fmt::print("{}\n", out.dump(2));
  } else {
    std::vector<std::vector<std::string>> rows;
    for (size_t i = 0; i < measured.size(); ++i) {
      const Measured& m = measured[i];
      std::string why = m.why.substr(0, m.why.find('\n'));  // the rest is in the JSON
      std::string detail = !why.empty() ? why : m.figures.empty() ? (i == 0 ? "the baseline" : "no change") : fmt::format("{}", fmt::join(m.figures, "; "));
      rows.push_back({m.commit.substr(0, 12), m.subject.substr(0, 50), i == 0 ? "good (given)" : status_text(m), detail});
    }
    fmt::print("bisect: {} commits after {}, up to {}\n{}", commits.size(), good.substr(0, 12), bad.substr(0, 12),
               text_columns({"commit", "subject", "verdict", "figures against the good commit"}, rows,
                            {Align::left, Align::left, Align::left, Align::left}));
    if (first_bad && candidates.size() == 1) {
      fmt::print("first bad commit: {} {}\n", first_bad->commit, first_bad->subject);
      for (const auto& f : first_bad->figures) fmt::print("   {}\n", f);
    } else {
      fmt::print("{}\n", conclusion);
    }
    fmt::print("{} builds, {} runs\n", bisection.builds(), bisection.runs());
  }
  fmt::print(stderr, "allocbench: {}\n", conclusion);
  if (hi_state == 1) return static_cast<int>(ExitCode::ok);
  if (hi_state == 3) return static_cast<int>(ExitCode::run_failed);
  return static_cast<int>(ExitCode::regression);
}

}  // namespace

void setup_bisect(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("bisect",
                                 "Find the first commit whose run is a regression against a good commit's, building "
                                 "each in a clone of its own; exit 1 when one is found, 0 when nothing regressed.");
  auto opt = std::make_shared<BisectCommand>();
  cmd->add_option("--good", opt->good, "A commit whose run is the baseline.")->required();
  cmd->add_option("--bad", opt->bad, "A later commit, descendant of --good, whose run regressed.")->required();
  cmd->add_option("--build", opt->build,
                  "Shell command run in the clone at each commit before the run (e.g. make liballoc.so); a commit "
                  "whose build fails is skipped.");
  cmd->add_option("--repo", opt->repo, "The repository (default: the one of the current directory).");
  cmd->add_option("--allocbench", opt->runner,
                  "The allocbench to run at each commit, relative to the clone when --build makes it (default: this one).");
  cmd->add_option("--format", opt->format, "Output format: table or json (default: table).")
      ->check(CLI::IsMember({"table", "json"}));
  cmd->add_option("RUN-ARGS", opt->run_args, "After --: the flags of 'allocbench run' for every commit.");
  cmd->callback([opt, &exit_code] { exit_code = run_bisect(*opt); });
}

}  // namespace allocbench
