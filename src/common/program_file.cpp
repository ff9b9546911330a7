#include "common/program_file.hpp"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string_view>

namespace allocbench {
namespace {

bool executable(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// Whether the 64-bit ELF file at `fd` names an interpreter (the dynamic loader); -1
// when it is not such a file (a script: its interpreter is what runs).
int has_interpreter(int fd) {
  Elf64_Ehdr header{};
  if (::pread(fd, &header, sizeof header, 0) != static_cast<ssize_t>(sizeof header) ||
      std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0 || header.e_ident[EI_CLASS] != ELFCLASS64)
    return -1;
  for (unsigned i = 0; i < header.e_phnum; ++i) {
    Elf64_Phdr segment{};
    auto at = static_cast<off_t>(header.e_phoff + i * sizeof segment);
    if (::pread(fd, &segment, sizeof segment, at) != static_cast<ssize_t>(sizeof segment)) return -1;
    if (segment.p_type == PT_INTERP) return 1;
  }
  return 0;
}

}  // namespace

std::string find_program(const std::string& name) {
  if (name.empty()) return {};
  if (name.find('/') != std::string::npos) return executable(name) ? name : std::string{};
  const char* path = std::getenv("PATH");
  std::string_view dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  for (size_t start = 0; start <= dirs.size();) {
    size_t end = std::min(dirs.find(':', start), dirs.size());
    std::string dir(dirs.substr(start, end - start));
    std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + name;
    if (executable(candidate)) return candidate;
    start = end + 1;
  }
  return {};
}

std::string why_preload_is_ignored(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  if ((st.st_mode & S_ISUID) && st.st_uid != ::getuid())
    return "it is set-user-ID, and the loader ignores LD_PRELOAD in such programs";
  if ((st.st_mode & S_ISGID) && st.st_gid != ::getgid())
    return "it is set-group-ID, and the loader ignores LD_PRELOAD in such programs";
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  int interpreter = has_interpreter(fd);
  ::close(fd);
  if (interpreter == 0) return "it is statically linked (it has no ELF interpreter), so LD_PRELOAD cannot reach its malloc";
  return {};
}

std::string beside_executable(const std::string& file) {
  static const std::filesystem::path dir = std::filesystem::read_symlink("/proc/self/exe").parent_path();
  return (dir / file).string();
}

}  // namespace allocbench
