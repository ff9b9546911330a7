// A file held open for reading: every read of it sees the same file, even when its path is
// given to another one meanwhile (a trace recorded again under the same name).
#pragma once

#include <cstdint>
#include <string>

namespace allocbench::trace {

class InputFile {
 public:
  // A usage error naming `what` ("trace", "prepared replay") and the path when it cannot be opened.
  InputFile(const std::string& path, const char* what);
  ~InputFile();
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  const std::string& path() const { return path_; }
  int fd() const { return fd_; }
  uint64_t size() const { return size_; }  // as it was opened: bytes appended later are not read

 private:
  std::string path_;
  int fd_ = -1;
  uint64_t size_ = 0;
};

}  // namespace allocbench::trace
