#include "worker/idle.hpp"

#include "worker/backend.hpp"
#include "results/metrics.hpp"
#include "worker/measurement.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

namespace allocbench {

namespace {

void sleep_until(std::chrono::steady_clock::time_point t) { std::this_thread::sleep_until(t); }

}  // namespace

IdleCurve idle_and_sample(double idle_ms, bool (*purge)(), bool own_allocator, const Footprint& before,
                          int64_t harness, std::map<std::string, double>& metrics) {
  // Above what the process held before setup, less the harness; never below 0: PSS in
  // particular moves with what other processes share, and a figure under the start means
  // "nothing of its own".
  auto above = [harness](int64_t now, int64_t then) {
    return static_cast<double>(std::max<int64_t>(0, now - harness - then));
  };
  auto held = [&](const Footprint& f) { return above(f.held(), before.held()); };
  IdleCurve curve;
  curve.start_ns = steady_now_ns();
  std::optional<Footprint> at_end = read_footprint();
  if (!at_end) return curve;  // no smaps_rollup: the figures are not reported rather than wrong
  curve.held.emplace_back(0, static_cast<double>(at_end->held()));
  if (purge) {
    int64_t t0 = steady_now_ns();
    bool done = purge();
    if (done) metrics["purge_ns"] = static_cast<double>(steady_now_ns() - t0);
  }
  const auto start = std::chrono::steady_clock::now();
  auto at = [&](double ms) { return start + std::chrono::microseconds(static_cast<int64_t>(ms * 1000)); };
  auto since_start_ms = [&] { return static_cast<double>(steady_now_ns() - curve.start_ns) / 1e6; };
  metrics[std::string(idle_moments[0].metric)] = held(*at_end);
  for (const IdleMoment& m : idle_moments) {
    if (m.ms == 0 || m.ms >= idle_ms) continue;
    sleep_until(at(m.ms));
    if (auto f = read_footprint()) {
      metrics[std::string(m.metric)] = held(*f);
      curve.held.emplace_back(since_start_ms(), static_cast<double>(f->held()));
    }
  }
  sleep_until(at(idle_ms));
  std::optional<Footprint> end = read_footprint();
  if (!end) return curve;
  curve.held.emplace_back(since_start_ms(), static_cast<double>(end->held()));
  metrics["rss_after_idle_bytes"] = held(*end);
  metrics["raw_rss_after_idle_bytes"] = above(end->rss, before.rss);
  metrics["pss_after_idle_bytes"] = above(end->pss, before.pss);
  AllocatorStats stats = own_allocator ? allocator_stats() : AllocatorStats{};
  for (size_t i = 0; i < stats.size; ++i)
    if (stats.items[i].name == "resident_bytes") metrics["allocator_resident_after_idle_bytes"] = stats.items[i].value;
  // The share of what the workload added that came back, and how soon half of it did.
  double added = held(*at_end), returned = added - held(*end);
  metrics["returned_share"] = added > 0 ? std::max(0.0, returned) / added : 0;
  if (returned > 0) {
    double half_ms = 0;
    for (auto [ms, h] : curve.held)
      if (added - above(static_cast<int64_t>(h), before.held()) >= returned / 2) {
        half_ms = ms;
        break;
      }
    metrics["half_returned_ns"] = half_ms * 1e6;
  }
  return curve;
}

}  // namespace allocbench
