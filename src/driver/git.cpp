#include "driver/git.hpp"

#include "common/error.hpp"
#include "driver/spawn.hpp"

#include <filesystem>

namespace allocbench {
namespace {

ProcessOutcome run_git(const std::string& directory, const std::vector<std::string>& args) {
  std::vector<std::string> argv{"git", "-C", directory};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv, std::chrono::minutes(10));
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

}  // namespace

std::string git(const std::string& directory, const std::vector<std::string>& args, const std::string& what) {
  ProcessOutcome p = run_git(directory, args);
  if (!p.ok()) throw usage_error("{}: git {}", what, p.describe_failure());
  return p.out;
}

bool git_ok(const std::string& directory, const std::vector<std::string>& args) { return run_git(directory, args).ok(); }

std::string git_top_level(const std::string& path, const std::string& flag) {
  std::filesystem::path p(path);
  std::string dir = std::filesystem::is_directory(p) ? p.string() : p.parent_path().string();
  if (dir.empty()) dir = ".";
  ProcessOutcome out = run_git(dir, {"rev-parse", "--show-toplevel"});
  if (!out.ok()) throw usage_error("{} '{}': not in a git repository", flag, path);
  return trimmed(out.out);
}

std::string git_commit(const std::string& directory, const std::string& rev, const std::string& flag) {
  ProcessOutcome out = run_git(directory, {"rev-parse", "--verify", "--quiet", rev + "^{commit}"});
  if (!out.ok()) throw usage_error("{} '{}': no such commit in {}", flag, rev, directory);
  return trimmed(out.out);
}

std::string git_subject(const std::string& directory, const std::string& commit) {
  return trimmed(git(directory, {"log", "-1", "--format=%s", commit}, "reading a commit's subject"));
}

}  // namespace allocbench
