#include "worker/timeline.hpp"

#include "worker/counting.hpp"
#include "worker/measurement.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <ctime>

namespace allocbench {
namespace {

constexpr size_t max_samples = 1 << 16;

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

Timeline::Timeline(int64_t interval_ns)
    : interval_ns_(interval_ns), statm_fd_(::open("/proc/self/statm", O_RDONLY | O_CLOEXEC)) {
  samples_.resize(max_samples);
  auto loop = [](void* self) -> void* {
    static_cast<Timeline*>(self)->sample_loop();
    return nullptr;
  };
  running_ = ::pthread_create(&thread_, nullptr, loop, this) == 0;
}

Timeline::~Timeline() {
  end();
  if (statm_fd_ >= 0) ::close(statm_fd_);
}

void Timeline::begin(int64_t phase_start_ns, int64_t live_before, int64_t rss_excluded) {
  rss_excluded_ = rss_excluded;
  phase_start_ns_ = phase_start_ns;
  live_before_ = live_before;
  state_.store(1, std::memory_order_release);
}

void Timeline::end() {
  bool sampling = state_.exchange(2, std::memory_order_acq_rel) == 1;
  if (running_) ::pthread_join(thread_, nullptr);
  running_ = false;
  if (sampling) take_sample();  // the phase's last moment, whatever the interval
}

void Timeline::take_sample() {
  if (count_ == samples_.size()) {  // full: keep every other sample, sample half as often
    for (size_t i = 0; i < count_ / 2; ++i) samples_[i] = samples_[2 * i];
    count_ /= 2;
    interval_ns_ *= 2;
  }
  // Published counts lag by up to a quantum: never below nothing.
  samples_[count_++] = {steady_now_ns() - phase_start_ns_,
                        std::max<int64_t>(0, counting::published_live_bytes() - live_before_), rss_from(statm_fd_) - rss_excluded_};
}

void Timeline::sample_loop() {
  while (state_.load(std::memory_order_acquire) == 0) sleep_until(steady_now_ns() + 100'000);
  for (int64_t next = phase_start_ns_; state_.load(std::memory_order_acquire) == 1; next += interval_ns_) {
    take_sample();
    sleep_until(std::max(next + interval_ns_, steady_now_ns()));
  }
}

nlohmann::json Timeline::to_json(bool with_live) const {
  nlohmann::json t = nlohmann::json::array(), live = nlohmann::json::array(), rss = nlohmann::json::array();
  for (size_t i = 0; i < count_; ++i) {
    t.push_back(static_cast<double>(samples_[i].t_ns) / 1e6);
    live.push_back(samples_[i].live_bytes);
    rss.push_back(samples_[i].rss_bytes);
  }
  nlohmann::json j = {{"interval_ms", static_cast<double>(interval_ns_) / 1e6}, {"t_ms", t}, {"rss_bytes", rss}};
  if (with_live) j["live_bytes"] = live;
  return j;
}

}  // namespace allocbench
