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

}  // namespace

// The new content goes into an unnamed file in the target's directory (O_TMPFILE): if
// the process dies, even by SIGKILL, the kernel discards it and nothing is left behind.
// Where the file system cannot do that, a named temporary file is used instead.
AtomicFile::AtomicFile(const std::string& path, std::string_view what) : path_(path), what_(what) {
  refuse_directory(path, what);
  mode_t mask = ::umask(0);
  ::umask(mask);
  fd_ = ::open(directory_of(path).c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0666 & ~mask);
  if (fd_ >= 0) return;
  temporary_ = path + ".tmp.XXXXXX";
  fd_ = ::mkstemp(temporary_.data());
  if (fd_ < 0) {
    temporary_.clear();
    throw write_error(what, path, errno);
  }
  // mkstemp makes 0600 files; results and baselines are ordinary files.
  if (::fchmod(fd_, 0666 & ~mask) != 0) fail(errno);
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!temporary_.empty()) ::unlink(temporary_.c_str());
}

void AtomicFile::fail(int err) {
  if (fd_ >= 0) ::close(fd_);
  if (!temporary_.empty()) ::unlink(temporary_.c_str());
  fd_ = -1;
  temporary_.clear();
  throw write_error(what_, path_, err);
}

void AtomicFile::commit(bool durable) {
  if (durable && ::fsync(fd_) != 0) fail(errno);
  if (temporary_.empty()) {  // an unnamed file gets a unique name beside the target, for rename() to move
    std::string proc = "/proc/self/fd/" + std::to_string(fd_);
    std::random_device random;
    for (int attempt = 0; temporary_.empty(); ++attempt) {
      std::string candidate = path_ + ".tmp." + std::to_string(random());
      if (::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, candidate.c_str(), AT_SYMLINK_FOLLOW) == 0) temporary_ = candidate;
      else if (errno != EEXIST || attempt == 100) fail(errno);
    }
  }
  if (::rename(temporary_.c_str(), path_.c_str()) != 0) fail(errno);
  temporary_.clear();
  ::close(fd_);
  fd_ = -1;
  if (!durable) return;
  // The rename itself must reach the disk too.
  if (int dir = ::open(directory_of(path_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

void write_file_atomically(const std::string& path, std::string_view content, std::string_view what) {
  AtomicFile file(path, what);
  for (size_t done = 0; done < content.size();) {
    ssize_t n = ::write(file.fd(), content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw write_error(what, path, errno);
    done += static_cast<size_t>(n);
  }
  file.commit(true);
}

void check_writable(const std::string& path, std::string_view what) { AtomicFile probe(path, what); }

}  // namespace allocbench
