#include "common/atomic_file.hpp"
#include "common/error.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

using namespace allocbench;
namespace fs = std::filesystem;

namespace {
struct TempDir {
  fs::path path = fs::temp_directory_path() / ("allocbench-unit-" + std::to_string(::getpid()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
}  // namespace

TEST_CASE("unit_atomic_file_replaces_content_and_leaves_no_temporary") {
  TempDir dir;
  auto file = (dir.path / "out.json").string();
  write_file_atomically(file, "old", "--output");
  write_file_atomically(file, "new content", "--output");
  CHECK(slurp(file) == "new content");
  CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()) == 1);
}

TEST_CASE("unit_atomic_file_errors_name_the_flag_and_the_path") {
  TempDir dir;
  std::string missing = (dir.path / "no-such-dir" / "x.json").string();
  CHECK_THROWS_WITH_AS(write_file_atomically(missing, "x", "--output"),
                       ("--output '" + missing + "': cannot write: No such file or directory").c_str(), Error);
  CHECK_THROWS_WITH_AS(check_writable(dir.path.string(), "--output"),
                       ("--output '" + dir.path.string() + "': is a directory, expected a file path").c_str(), Error);
}
