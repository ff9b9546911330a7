#include "common/scratch_directory.hpp"

#include "common/error.hpp"

#include <stdlib.h>

#include <cerrno>
#include <cstring>

namespace allocbench {

ScratchDirectory::ScratchDirectory(const std::string& purpose) {
  auto pattern = std::filesystem::temp_directory_path() / ("allocbench-" + purpose + "-XXXXXX");
  std::string name = pattern.string();
  if (!::mkdtemp(name.data()))
    throw run_error("cannot make a directory in {}: {}", pattern.parent_path().string(), std::strerror(errno));
  path_ = name;
}

ScratchDirectory::~ScratchDirectory() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace allocbench
