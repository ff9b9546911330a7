// A temporary directory of this process's own, removed with everything in it when the
// object goes: a run's callgrind output, its programs' output, its uncached replays.
#pragma once

#include <filesystem>
#include <string>

namespace allocbench {

class ScratchDirectory {
 public:
  // Makes TMPDIR/allocbench-PURPOSE-XXXXXX; a run error when it cannot.
  explicit ScratchDirectory(const std::string& purpose);
  ~ScratchDirectory();
  ScratchDirectory(const ScratchDirectory&) = delete;
  ScratchDirectory& operator=(const ScratchDirectory&) = delete;
  std::string path() const { return path_.string(); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace allocbench
