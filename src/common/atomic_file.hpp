// Whole-file writes that are never seen half-done: a temporary file beside the
// target, flushed to disk, then renamed over it.
#pragma once

#include <string>
#include <string_view>

namespace allocbench {

// A file written through its descriptor and seen under its name only once committed:
// until then it has none (or a temporary one, removed if it is never committed).
// Errors are usage errors naming `what` (e.g. "--output") and the path.
class AtomicFile {
 public:
  AtomicFile(const std::string& path, std::string_view what);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  int fd() const { return fd_; }
  // Puts the file in place. `durable`: flushed to disk first, and the rename too.
  void commit(bool durable);

 private:
  [[noreturn]] void fail(int err);
  std::string path_, what_, temporary_;
  int fd_ = -1;
};

// Throws a usage error naming `what` (e.g. "--output") when the file cannot be written.
void write_file_atomically(const std::string& path, std::string_view content, std::string_view what);

// Fails early, before a long run, when `path` could not be written later.
void check_writable(const std::string& path, std::string_view what);

}  // namespace allocbench
