// The programs of `allocbench suite`: real programs from Debian packages, each with an
// input written here for a scale, run as cmd: workloads. A program is added in one place:
// the table in suite_programs.cpp.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace allocbench {

struct SuiteProgram {
  std::string_view name;        // as the summary names it, and --programs selects it
  std::string_view package;     // the Debian package that installs it
  std::string_view executable;  // absolute: the program run, not whatever PATH finds first
  std::string_view behaviour;   // what its allocation is like, in a few words
  // Writes the input for `scale` (1: a few seconds here) into `dir`, the working
  // directory of the run, and returns the command line, with paths relative to `dir`.
  std::string (*prepare)(const std::filesystem::path& dir, double scale);
};

const std::vector<SuiteProgram>& suite_programs();

// The programs named in `names` (comma-separated, or "all"), in the table's order; an
// unknown name is a usage error that lists the known ones.
std::vector<const SuiteProgram*> select_programs(const std::vector<std::string>& names);

}  // namespace allocbench
