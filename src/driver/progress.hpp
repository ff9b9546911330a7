// Progress on stderr: a live bar with the current cell and an ETA on a terminal, one
// plain line per repetition with --verbose, nothing otherwise. stdout stays the report's.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace allocbench {

class Progress {
 public:
  enum class Mode { silent, bar, lines };

  // Bar on a terminal, lines with `verbose`, else silent.
  static Mode choose(bool verbose);

  Progress(size_t total, Mode mode) : total_(total), mode_(mode), start_(std::chrono::steady_clock::now()) {}
  ~Progress() { clear(); }

  void begin(const std::string& what);  // a repetition starts
  void end();                           // it finished
  void clear();                         // erase the bar before other stderr output
  void add(size_t jobs);                // more repetitions than planned (--reps auto)

 private:
  size_t total_;
  size_t done_ = 0;
  Mode mode_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace allocbench
