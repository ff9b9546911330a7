#include "common/atomic_file.hpp"

#include "common/error.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace allocbench {
namespace {

Error write_error(std::string_view what, const std::string& path, int err) {
  return usage_error("{} '{}': cannot write: {}", what, path, std::strerror(err));
}

// Opens a fresh temporary file in the target's directory, so that rename() stays atomic.
int open_temporary(const std::string& path, std::string& tmp_path, std::string_view what) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    throw usage_error("{} '{}': is a directory, expected a file path", what, path);
  tmp_path = path + ".tmp.XXXXXX";
  int fd = ::mkstemp(tmp_path.data());
  if (fd < 0) throw write_error(what, path, errno);
  return fd;
}

}  // namespace

void write_file_atomically(const std::string& path, std::string_view content, std::string_view what) {
  std::string tmp;
  int fd = open_temporary(path, tmp, what);
  auto fail = [&](int err) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return write_error(what, path, err);
  };
  for (size_t done = 0; done < content.size();) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw fail(errno);
    done += static_cast<size_t>(n);
  }
  // Files created by mkstemp are 0600; results and baselines are ordinary files.
  mode_t mask = ::umask(0);
  ::umask(mask);
  if (::fchmod(fd, 0666 & ~mask) != 0 || ::fsync(fd) != 0) throw fail(errno);
  if (::close(fd) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    throw write_error(what, path, err);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    throw write_error(what, path, err);
  }
}

void check_writable(const std::string& path, std::string_view what) {
  std::string tmp;
  int fd = open_temporary(path, tmp, what);
  ::close(fd);
  ::unlink(tmp.c_str());
}

}  // namespace allocbench
