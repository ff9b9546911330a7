#include "driver/progress.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

namespace allocbench {

Progress::Mode Progress::choose(bool verbose) {
  if (verbose) return Mode::lines;
  return ::isatty(STDERR_FILENO) ? Mode::bar : Mode::silent;
}

void Progress::begin(const std::string& what) {
  if (mode_ == Mode::lines) {
    std::fprintf(stderr, "[%zu/%zu] %s\n", done_ + 1, total_, what.c_str());
    return;
  }
  if (mode_ != Mode::bar) return;
  constexpr size_t width = 24;
  size_t filled = total_ ? done_ * width / total_ : 0;
  std::string eta = "…";
  if (done_ > 0) {
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    auto left = static_cast<long>(elapsed / static_cast<double>(done_) * static_cast<double>(total_ - done_));
    eta = fmt::format("{}:{:02}", left / 60, left % 60);
  }
  std::fprintf(stderr, "\r\033[K[%s%s] %zu/%zu  %s  ETA %s", std::string(filled, '#').c_str(),
               std::string(width - filled, ' ').c_str(), done_, total_, what.c_str(), eta.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void Progress::end() { ++done_; }

void Progress::add(size_t jobs) { total_ += jobs; }

void Progress::clear() {
  if (!drawn_) return;
  std::fputs("\r\033[K", stderr);
  std::fflush(stderr);
  drawn_ = false;
}

}  // namespace allocbench
