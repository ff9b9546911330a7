// trace:FILE — replays a program's recorded allocations (allocbench record): the same
// calls with the same sizes and alignments, in the same order, each object freed by
// the same call as in the program, on as many threads as the program had.
//
// Ordering between threads: each thread replays its own operations in recorded order,
// and an operation on an object another thread allocated (a cross-thread free) waits
// until that allocation has been replayed. Nothing else is serialised, so threads run
// as freely as the program's did; every wait points to an earlier operation, so the
// replay cannot deadlock. Single-threaded, the replay's live bytes follow the program's
// exactly; with threads, their interleaving is the replay's own.
//
// Objects are filled when allocated and read when freed (object_bytes.hpp). Frees of
// objects the trace never allocated, and second frees, are counted and skipped.
// The trace's tables live in mmap'd memory: neither the allocator under test nor the
// counting wrapper sees them. Calls of the malloc family bypass the counting operator
// new, so the replay counts them itself.
#include "trace/reader.hpp"
#include "worker/counting.hpp"
#include "workloads/object_bytes.hpp"
#include "workloads/phased_threads.hpp"
#include "workloads/workload.hpp"

#include "common/error.hpp"

#include <malloc.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <utility>

namespace allocbench {
namespace {

using trace::Op;
using trace::ReplayOp;

constexpr std::string_view prefix = "trace:";

void count_alloc(size_t n) {
  if (counting::enabled()) counting::on_alloc(n);
}
void count_free(size_t n) {
  if (counting::enabled()) counting::on_free(n);
}

[[noreturn]] void allocation_failed(size_t size, size_t index) {
  std::fprintf(stderr, "trace replay: the allocator returned no memory for %zu bytes (operation %zu)\n", size, index);
  std::abort();
}

void* allocate(const ReplayOp& op, size_t index) {
  size_t size = op.size;
  size_t alignment = size_t{1} << op.align_log2;
  void* p = nullptr;
  switch (op.op) {
    case Op::new_: return ::operator new(size);  // counted by the counting wrapper
    case Op::new_array: return ::operator new[](size);
    case Op::new_aligned: return ::operator new(size, std::align_val_t(alignment));
    case Op::new_array_aligned: return ::operator new[](size, std::align_val_t(alignment));
    case Op::malloc_: p = std::malloc(size); break;
    case Op::calloc_: p = std::calloc(1, size); break;
    case Op::posix_memalign_:
      if (::posix_memalign(&p, alignment, size) != 0) p = nullptr;
      break;
    case Op::aligned_alloc_: p = std::aligned_alloc(alignment, size); break;
    case Op::memalign_: p = ::memalign(alignment, size); break;
    default: ALLOCBENCH_CHECK(!"an allocation");
  }
  if (!p && size) allocation_failed(size, index);
  count_alloc(size);
  return p;
}

// Frees with the counterpart of the call that allocated the object.
void deallocate(const ReplayOp& allocated_by, void* p) {
  size_t size = allocated_by.size;
  std::align_val_t alignment{size_t{1} << allocated_by.align_log2};
  switch (allocated_by.op) {
    case Op::new_: ::operator delete(p, size); return;
    case Op::new_array: ::operator delete[](p, size); return;
    case Op::new_aligned: ::operator delete(p, size, alignment); return;
    case Op::new_array_aligned: ::operator delete[](p, size, alignment); return;
    default:
      count_free(size);
      std::free(p);
  }
}

class TraceReplay final : public Workload {
 public:
  explicit TraceReplay(const WorkloadConfig& c)
      : file_(c.name.substr(prefix.size())), allocate_(c.params.at("allocate") != 0) {}

  void setup() override {
    trace_ = trace::read_trace(std::string(file_));
    objects_.assign(trace_.ops.size(), nullptr);
    per_thread_.resize(trace_.summary.threads);
    threads_ = std::make_unique<PhasedThreads>(trace_.summary.threads, [this](unsigned t, Phase p) { step(t, p); });
    threads_->setup();
  }
  void run() override { threads_->run(); }
  void teardown() override { threads_->teardown(); }

  WorkloadOutcome outcome() const override {
    WorkloadOutcome o{trace_.ops.size(), 0};
    uint64_t skipped = 0;
    for (const auto& t : per_thread_) {
      o.checksum += t.checksum;
      skipped += t.skipped_frees;
    }
    o.stats[0] = {"skipped_frees", static_cast<int64_t>(skipped)};
    return o;
  }

 private:
  struct alignas(64) PerThread {
    uint64_t checksum = 0;
    uint64_t skipped_frees = 0;
  };

  std::atomic_ref<void*> slot(uint32_t object) { return std::atomic_ref<void*>(objects_[object]); }

  // The object's pointer, once its allocation has been replayed (by any thread).
  void* take(const ReplayOp& op) {
    if (!(op.flags & ReplayOp::wait)) return std::exchange(objects_[op.object], nullptr);
    for (int spin = 0; !slot(op.object).load(std::memory_order_acquire); ++spin)
      if (spin > 64) slot(op.object).wait(nullptr, std::memory_order_acquire);
    return slot(op.object).exchange(nullptr, std::memory_order_relaxed);
  }

  void publish(const ReplayOp& op, size_t i, void* p) {
    if (!(op.flags & ReplayOp::notify)) {
      objects_[i] = p;
      return;
    }
    slot(static_cast<uint32_t>(i)).store(p, std::memory_order_release);
    slot(static_cast<uint32_t>(i)).notify_all();
  }

  // Memory the allocator gave: not a stand-in.
  bool holds_memory(void* p, uint32_t object) const { return allocate_ && p != fake_pointer(object); }

  void release(PerThread& me, uint32_t object, void* p) {
    if (!holds_memory(p, object)) return;
    me.checksum += read_object(p, trace_.ops[object].size);
    deallocate(trace_.ops[object], p);
  }

  void replay(PerThread& me, size_t i) {
    const ReplayOp& op = trace_.ops[i];
    if (trace::is_free(op.op)) {
      if (op.object == trace::no_object) {
        ++me.skipped_frees;
        return;
      }
      release(me, op.object, take(op));
      return;
    }
    void* p;
    if (op.op == Op::realloc_) {
      // realloc of an object the trace never allocated is replayed as realloc(NULL, size).
      bool known = op.object != trace::no_object;
      void* q = known ? take(op) : nullptr;
      if (!allocate_) {
        p = fake_pointer(i);
      } else {
        if (known) count_free(trace_.ops[op.object].size);
        if (known && holds_memory(q, op.object)) me.checksum += read_object(q, trace_.ops[op.object].size);
        else q = nullptr;
        p = std::realloc(q, op.size);
        if (!p && op.size) allocation_failed(op.size, i);
        count_alloc(op.size);
      }
    } else {
      p = allocate_ ? allocate(op, i) : fake_pointer(i);
    }
    if (allocate_ && p) fill_object(p, op.size, i);
    publish(op, i, p ? p : fake_pointer(i));  // malloc(0) may return NULL: still an object
  }

  // A stand-in for an object: with allocate=0, and for a NULL from a zero-byte allocation.
  static void* fake_pointer(size_t i) { return reinterpret_cast<void*>((i + 1) << 4); }

  void step(unsigned t, Phase phase) {
    PerThread& me = per_thread_[t];
    size_t begin = trace_.thread_begin[t], end = trace_.thread_begin[t + 1];
    if (phase == Phase::run) {
      for (size_t i = begin; i < end; ++i) replay(me, i);
    } else if (phase == Phase::teardown) {
      // What the program never freed: freed here, by the thread that allocated it.
      for (size_t i = begin; i < end; ++i)
        if (void* p = objects_[i]) release(me, static_cast<uint32_t>(i), p);
    }
  }

  std::string_view file_;
  bool allocate_;
  trace::Trace trace_;
  trace::mapped_vector<void*> objects_;  // by operation index: the object it allocated, while live
  std::vector<PerThread> per_thread_;
  std::unique_ptr<PhasedThreads> threads_;
};

}  // namespace

const WorkloadInfo& recorded_workload(std::string_view name) {
  // Made on first use, one per trace file, and kept: the plan and the worker refer to it.
  static std::deque<std::pair<std::string, WorkloadInfo>> known;
  for (const auto& [n, info] : known)
    if (n == name) return info;
  if (name.size() == prefix.size())
    throw usage_error("--workload '{}': expected trace:FILE, a file written by allocbench record", name);
  unsigned threads = trace::read_trace(std::string(name.substr(prefix.size()))).summary.threads;
  auto& [stored, info] = known.emplace_back(std::string(name), WorkloadInfo{});
  info = {stored,
          "replays a recorded program",
          {{"allocate", ParamType::count, 1, 0, 1,
            "0: replay without calling the allocator, to measure the replay's own cost"}},
          std::max(1u, threads),
          WorkloadKind::recorded,
          [](const WorkloadConfig& c) -> std::unique_ptr<Workload> { return std::make_unique<TraceReplay>(c); }};
  return info;
}

}  // namespace allocbench
