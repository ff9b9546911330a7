// Memory over time (--timeline): a sampler thread reads live bytes (from the counting
// wrapper, when it counts) and RSS (/proc/self/statm) at a fixed interval through the
// measured phase. All its memory is taken before the phase, so it allocates nothing
// the counts would see; it sleeps between samples, so it costs the workload little
// (a `make bench` figure). A pthread, not a std::thread: std::thread frees its start
// state on the new thread, which the counting wrapper would see as a free of the
// workload's.
#pragma once

#include "results/results.hpp"

#include <pthread.h>

#include <atomic>
#include <cstdint>
#include <vector>

namespace allocbench {

class TimelineSampler {
 public:
  explicit TimelineSampler(int64_t interval_ns);  // starts the (idle) sampler
  ~TimelineSampler();
  // Sampling starts; live bytes count from live_before, RSS leaves out rss_excluded.
  void begin(int64_t phase_start_ns, int64_t live_before, int64_t rss_excluded);
  void end();                          // sampling stops; the sampler exits
  // A workload's own phase boundary, now (from the workload's thread, while sampling).
  void mark();
  // The samples taken; live bytes only `with_live` (when counting).
  Timeline samples(bool with_live) const;

 private:
  struct Point {
    int64_t t_ns, live_bytes, rss_bytes;
  };
  void sample_loop();
  void take_sample();

  int64_t interval_ns_;
  int64_t phase_start_ns_ = 0;
  int64_t live_before_ = 0;
  int64_t rss_excluded_ = 0;
  int statm_fd_ = -1;
  size_t count_ = 0;
  std::vector<Point> points_;  // fixed capacity; when full, every other sample is dropped
  std::vector<int64_t> marks_;  // fixed capacity, ns into the phase; read after end()
  size_t mark_count_ = 0;
  std::atomic<int> state_{0};    // 0 idle, 1 sampling, 2 done
  pthread_t thread_{};
  bool running_ = false;
};

}  // namespace allocbench
