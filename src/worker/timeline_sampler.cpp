#include "worker/timeline_sampler.hpp"

#include "counting/counting.hpp"
#include "worker/measurement.hpp"

#include <fcntl.h>
#include <unistd.h>


#include <algorithm>
#include <cstdlib>
#include <ctime>

namespace allocbench {
namespace {

constexpr size_t max_samples = 1 << 16;
constexpr size_t max_marks = 1024;  // a workload's own phase boundaries

// /proc/self/statm: "size resident shared …" in pages; one pread, no allocation.
int64_t rss_from(int fd) {
  char buf[128];
  ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return 0;
  buf[n] = '\0';
  char* end = nullptr;
  std::strtoll(buf, &end, 10);
  return std::strtoll(end, nullptr, 10) * ::sysconf(_SC_PAGESIZE);
}

void sleep_until(int64_t ns) {
  timespec ts{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
  while (::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) != 0) {
  }
}

}  // namespace

TimelineSampler::TimelineSampler(int64_t interval_ns)
    : interval_ns_(interval_ns), statm_fd_(::open("/proc/self/statm", O_RDONLY | O_CLOEXEC)) {
  points_.resize(max_samples);
  marks_.resize(max_marks);
  auto loop = [](void* self) -> void* {
    static_cast<TimelineSampler*>(self)->sample_loop();
    return nullptr;
  };
  running_ = ::pthread_create(&thread_, nullptr, loop, this) == 0;
}

TimelineSampler::~TimelineSampler() {
  end();
  if (statm_fd_ >= 0) ::close(statm_fd_);
}

void TimelineSampler::begin(int64_t phase_start_ns, int64_t live_before, int64_t rss_excluded) {
  rss_excluded_ = rss_excluded;
  phase_start_ns_ = phase_start_ns;
  live_before_ = live_before;
  state_.store(1, std::memory_order_release);
}

void TimelineSampler::end() {
  bool sampling = state_.exchange(2, std::memory_order_acq_rel) == 1;
  if (running_) ::pthread_join(thread_, nullptr);
  running_ = false;
  if (sampling) take_sample();  // the phase's last moment, whatever the interval
}

void TimelineSampler::mark() {
  if (state_.load(std::memory_order_acquire) == 1 && mark_count_ < marks_.size())
    marks_[mark_count_++] = steady_now_ns() - phase_start_ns_;
}

void TimelineSampler::take_sample() {
  if (count_ == points_.size()) {  // full: keep every other sample, sample half as often
    for (size_t i = 0; i < count_ / 2; ++i) points_[i] = points_[2 * i];
    count_ /= 2;
    interval_ns_ *= 2;
  }
  // Published counts lag by up to a quantum: never below nothing.
  points_[count_++] = {steady_now_ns() - phase_start_ns_,
                        std::max<int64_t>(0, counting::published_live_bytes() - live_before_), rss_from(statm_fd_) - rss_excluded_};
}

void TimelineSampler::sample_loop() {
  while (state_.load(std::memory_order_acquire) == 0) sleep_until(steady_now_ns() + 100'000);
  for (int64_t next = phase_start_ns_; state_.load(std::memory_order_acquire) == 1; next += interval_ns_) {
    take_sample();
    sleep_until(std::max(next + interval_ns_, steady_now_ns()));
  }
}

Timeline TimelineSampler::samples(bool with_live) const {
  Timeline t;
  t.interval_ms = static_cast<double>(interval_ns_) / 1e6;
  for (size_t i = 0; i < count_; ++i) {
    t.t_ms.push_back(static_cast<double>(points_[i].t_ns) / 1e6);
    t.rss_bytes.push_back(static_cast<double>(points_[i].rss_bytes));
    if (with_live) t.live_bytes.push_back(static_cast<double>(points_[i].live_bytes));
  }
  for (size_t i = 0; i < mark_count_; ++i) t.boundary_t_ms.push_back(static_cast<double>(marks_[i]) / 1e6);
  return t;
}

}  // namespace allocbench
