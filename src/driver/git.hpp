// git, run as a child process, for `history` (the versions of a baseline file) and
// `bisect` (commits, and a clone of the repository to build them in).
#pragma once

#include <string>
#include <vector>

namespace allocbench {

// `git -C DIRECTORY ARGS...`: its stdout; a usage error (exit 2) with `what` and git's
// own message when it fails.
std::string git(const std::string& directory, const std::vector<std::string>& args, const std::string& what);

// Whether `git -C DIRECTORY ARGS...` succeeds.
bool git_ok(const std::string& directory, const std::vector<std::string>& args);

// The top of the work tree containing `path`; a usage error when it is in none.
std::string git_top_level(const std::string& path, const std::string& flag);

// The full hash of REV; a usage error naming `flag` when it is no commit.
std::string git_commit(const std::string& directory, const std::string& rev, const std::string& flag);

// A commit's first line.
std::string git_subject(const std::string& directory, const std::string& commit);

}  // namespace allocbench
