#include "trace/summary.hpp"

#include <algorithm>

namespace allocbench::trace {
namespace {

size_t bucket(uint64_t value, const auto& bounds) {
  return static_cast<size_t>(std::lower_bound(bounds.begin(), bounds.end(), value) - bounds.begin());
}

}  // namespace

SummaryBuilder::SummaryBuilder(const TraceStream& in) {
  s_.threads = in.threads();
  s_.complete = in.complete();
  s_.dropped = in.dropped();
  s_.operations_per_thread.assign(s_.threads, 0);
  total_ = std::max<uint64_t>(in.operations(), 1);
}

void SummaryBuilder::operator()(const Operation& op, uint64_t index, const Allocation* freed, const Allocation* made) {
  if (s_.operations++ == 0) first_time_ = op.time_us;
  last_time_ = op.time_us;
  ++s_.per_op[static_cast<size_t>(op.op)];
  ++s_.operations_per_thread[op.thread];
  if (freed) {  // first: as the replay counts a realloc
    live_ -= static_cast<int64_t>(freed->size);
    --live_objects_;
    ++s_.frees;
    ++s_.lifetimes[bucket(index - freed->index, lifetime_bounds)];
  }
  if (made) {
    live_ += static_cast<int64_t>(made->size);
    ++live_objects_;
    ++s_.allocations;
    s_.bytes_allocated += made->size;
    ++s_.sizes[bucket(made->size, size_bounds)];
  }
  uint64_t& point = s_.live_curve[std::min<uint64_t>(live_curve_points - 1, index * live_curve_points / total_)];
  point = std::max(point, static_cast<uint64_t>(std::max<int64_t>(live_, 0)));
  if (live_ > static_cast<int64_t>(s_.peak_live_bytes)) {
    s_.peak_live_bytes = static_cast<uint64_t>(live_);
    s_.peak_at = index;
  }
}

TraceSummary SummaryBuilder::finish(const Anomalies& a) {
  static_cast<Anomalies&>(s_) = a;
  s_.live_bytes_at_end = static_cast<uint64_t>(live_);
  s_.live_objects_at_end = static_cast<uint64_t>(live_objects_);
  s_.duration_us = last_time_ - first_time_;
  return s_;
}

TraceSummary summarise_trace(const std::string& path) {
  TraceStream in(path);
  SummaryBuilder summary(in);
  Anomalies a = walk<Allocation>(in, available_memory() / 2, summary);
  return summary.finish(a);
}

}  // namespace allocbench::trace
