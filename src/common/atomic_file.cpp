#include "common/atomic_file.hpp"

#include "common/error.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>

namespace allocbench {
namespace {

Error write_error(std::string_view what, const std::string& path, int err) {
  return usage_error("{} '{}': cannot write: {}", what, path, std::strerror(err));
}

std::string directory_of(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  return dir.empty() ? "." : dir;
}

void refuse_directory(const std::string& path, std::string_view what) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    throw usage_error("{} '{}': is a directory, expected a file path", what, path);
}

// The new content goes into an unnamed file in the target's directory (O_TMPFILE): if
// the process dies, even by SIGKILL, the kernel discards it and nothing is left behind.
// Where the file system cannot do that, a named temporary file is used instead.
struct Temporary {
  int fd = -1;
  std::string name;  // set once the file has a name

  Temporary(const std::string& path, std::string_view what) {
    mode_t mask = ::umask(0);
    ::umask(mask);
    fd = ::open(directory_of(path).c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666 & ~mask);
    if (fd >= 0) return;
    name = path + ".tmp.XXXXXX";
    fd = ::mkstemp(name.data());
    if (fd < 0) throw write_error(what, path, errno);
    // mkstemp makes 0600 files; results and baselines are ordinary files.
    if (::fchmod(fd, 0666 & ~mask) != 0) {
      int err = errno;
      discard();
      throw write_error(what, path, err);
    }
  }

  // Gives the unnamed file a unique name beside the target, for rename() to move.
  int link_beside(const std::string& path) {
    if (!name.empty()) return 0;
    std::string proc = "/proc/self/fd/" + std::to_string(fd);
    std::random_device random;
    for (int attempt = 0; attempt < 100; ++attempt) {
      std::string candidate = path + ".tmp." + std::to_string(random());
      if (::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, candidate.c_str(), AT_SYMLINK_FOLLOW) == 0) {
        name = candidate;
        return 0;
      }
      if (errno != EEXIST) return errno;
    }
    return EEXIST;
  }

  void discard() {
    if (fd >= 0) ::close(fd);
    if (!name.empty()) ::unlink(name.c_str());
    fd = -1;
  }
};

}  // namespace

void write_file_atomically(const std::string& path, std::string_view content, std::string_view what) {
  refuse_directory(path, what);
  Temporary tmp(path, what);
  auto fail = [&](int err) {
    tmp.discard();
    return write_error(what, path, err);
  };
  for (size_t done = 0; done < content.size();) {
    ssize_t n = ::write(tmp.fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw fail(errno);
    done += static_cast<size_t>(n);
  }
  if (::fsync(tmp.fd) != 0) throw fail(errno);
  if (int err = tmp.link_beside(path)) throw fail(err);
  if (::rename(tmp.name.c_str(), path.c_str()) != 0) throw fail(errno);
  ::close(tmp.fd);
  // The rename itself must reach the disk too.
  if (int dir = ::open(directory_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

void check_writable(const std::string& path, std::string_view what) {
  refuse_directory(path, what);
  Temporary tmp(path, what);
  tmp.discard();
}

}  // namespace allocbench
