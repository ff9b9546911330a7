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
// Objects are written when allocated (touch) and read when freed (object_bytes.hpp). Frees of
// objects the trace never allocated, and second frees, are counted and skipped.
// The trace's tables live in mmap'd memory: neither the allocator under test nor the
// counting wrapper sees them, and the table of operations, resident through the phase,
// is left out of the RSS figures (resident_harness_bytes). Calls of the malloc family
// bypass the counting operator new, so the replay counts them itself.
#include "trace/reader.hpp"
#include "worker/counting.hpp"
#include "workloads/digest.hpp"
#include "workloads/object_bytes.hpp"
#include "workloads/phased_threads.hpp"
#include "workloads/workload.hpp"

#include "common/error.hpp"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
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

// Bytes of [p, p + n) in memory now (mincore), whole pages.
int64_t resident_bytes(const void* p, size_t n) {
  if (n == 0) return 0;
  auto page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  auto from = reinterpret_cast<uintptr_t>(p) & ~(page - 1);
  size_t pages = (reinterpret_cast<uintptr_t>(p) + n - from + page - 1) / page;
  trace::mapped_vector<unsigned char> in_core(pages);
  if (mincore(reinterpret_cast<void*>(from), pages * page, in_core.data()) != 0) return 0;
  return static_cast<int64_t>(std::count_if(in_core.begin(), in_core.end(), [](unsigned char c) { return c & 1; }) * page);
}

// Written as constructing the object would: each cache line of its first 4 KiB, and its
// last byte. The trace cannot tell what the program wrote into a large buffer later, and
// writing all of it would fault in pages a program that reserves capacity never uses.
// Objects under a word, which the synthetic workloads never make, get their bytes.
constexpr size_t touched_prefix = 4096;
void touch(void* p, size_t size, uint64_t value) {
  if (size < sizeof value) {
    std::memcpy(p, &value, size);
    return;
  }
  fill_object(p, std::min(size, touched_prefix), value);
  if (size > touched_prefix) static_cast<unsigned char*>(p)[size - 1] = static_cast<unsigned char>(value);
}

uint64_t read_back(const void* p, size_t size) {
  uint64_t value = 0;
  if (size < sizeof value) std::memcpy(&value, p, size);
  else value = read_object(p);
  return value;
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
void deallocate(void* p, Op allocated_by, size_t size, uint8_t align_log2) {
  std::align_val_t alignment{size_t{1} << align_log2};
  switch (allocated_by) {
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
    trace::Trace t = trace::read_trace(std::string(file_));
    unsigned threads = std::max(t.summary.threads, 1u);  // a trace of no operations replays on one
    operations_ = t.summary.operations;
    ops_ = std::move(t.ops);
    thread_begin_ = t.thread_begin;
    thread_begin_.resize(threads + 1, ops_.size());
    t.local_slots.resize(threads, 0);
    live_at_end_ = std::move(t.live_at_end);
    shared_.assign(t.shared_slots, nullptr);
    per_thread_.resize(threads);
    for (unsigned i = 0; i < threads; ++i) per_thread_[i].slots.assign(t.local_slots[i], nullptr);
    // The program's first thread replays on this one, the worker's main thread (PhasedThreads).
    threads_ = std::make_unique<PhasedThreads>(threads, [this](unsigned th, Phase p) { step(th, p); });
    threads_->setup();
  }
  void run() override { threads_->run(); }
  void teardown() override { threads_->teardown(); }

  WorkloadOutcome outcome() const override {
    WorkloadOutcome o{operations_, 0};
    Digest all;  // each thread replays a fixed list: combined in thread order
    uint64_t skipped = 0;
    for (const auto& t : per_thread_) {
      all.add(t.digest.value());
      skipped += t.skipped_frees;
    }
    o.checksum = all.value();
    o.stats[0] = {"skipped_frees", static_cast<int64_t>(skipped)};
    return o;
  }

  // The table of operations: written in setup, so resident through the phase.
  int64_t resident_harness_bytes() const override { return resident_bytes(ops_.data(), ops_.size() * sizeof(ReplayOp)); }

 private:
  struct alignas(64) PerThread {
    trace::mapped_vector<void*> slots;  // pointers of the live objects only this thread frees
    Digest digest;                      // every call in order: its kind, its size, what freed objects held
    uint64_t skipped_frees = 0;
  };

  // Stands for an object with no memory: with allocate=0, or a NULL from a zero-byte allocation.
  static inline void* const no_memory = reinterpret_cast<void*>(alignof(std::max_align_t));

  std::atomic_ref<void*> shared(uint32_t slot) { return std::atomic_ref<void*>(shared_[slot]); }

  // The freed object's pointer; from another thread's allocation, once it has been replayed.
  void* take(PerThread& me, const ReplayOp& op) {
    if (!(op.flags & ReplayOp::wait)) return std::exchange(me.slots[op.old_slot], nullptr);
    for (int spin = 0; !shared(op.old_slot).load(std::memory_order_acquire); ++spin)
      if (spin > 64) shared(op.old_slot).wait(nullptr, std::memory_order_acquire);
    return shared(op.old_slot).exchange(nullptr, std::memory_order_relaxed);
  }

  void publish(PerThread& me, const ReplayOp& op, void* p) {
    if (!(op.flags & ReplayOp::notify)) {
      me.slots[op.slot] = p;
      return;
    }
    shared(op.slot).store(p, std::memory_order_release);
    shared(op.slot).notify_all();
  }

  bool holds_memory(void* p) const { return allocate_ && p && p != no_memory; }

  // Reads the object back and frees it.
  void release(PerThread& me, void* p, Op allocated_by, uint64_t size, uint8_t align_log2) {
    if (!holds_memory(p)) return;
    me.digest.add(read_back(p, size) ^ size);
    deallocate(p, allocated_by, size, align_log2);
  }

  void replay(PerThread& me, const ReplayOp& op, size_t i) {
    bool frees = op.old_slot != trace::no_object;
    me.digest.add(op.size << 8 | static_cast<uint8_t>(op.op));
    if (trace::is_free(op.op)) {
      if (!frees) {
        ++me.skipped_frees;
        return;
      }
      release(me, take(me, op), op.old_op, op.old_size, op.old_align_log2);
      return;
    }
    void* p = no_memory;
    if (op.op == Op::realloc_) {
      // realloc of an object the trace never allocated is replayed as realloc(NULL, size).
      void* q = frees ? take(me, op) : nullptr;
      if (allocate_) {
        if (frees) count_free(op.old_size);
        if (holds_memory(q)) me.digest.add(read_back(q, op.old_size) ^ op.old_size);
        else q = nullptr;
        p = std::realloc(q, op.size);
        if (!p && op.size) allocation_failed(op.size, i);
        count_alloc(op.size);
      }
    } else if (allocate_) {
      p = allocate(op, i);
    }
    if (holds_memory(p)) touch(p, op.size, i);
    publish(me, op, p ? p : no_memory);
  }

  void step(unsigned t, Phase phase) {
    PerThread& me = per_thread_[t];
    if (phase == Phase::run) {
      for (size_t i = thread_begin_[t]; i < thread_begin_[t + 1]; ++i) replay(me, ops_[i], i);
    } else if (phase == Phase::teardown) {
      // What the program never freed: freed here, by the thread that allocated it.
      for (const trace::LiveObject& o : live_at_end_)
        if (o.thread == t) release(me, std::exchange(me.slots[o.slot], nullptr), o.op, o.size, o.align_log2);
    }
  }

  std::string_view file_;
  bool allocate_;
  uint64_t operations_ = 0;
  trace::mapped_vector<ReplayOp> ops_;
  std::vector<size_t> thread_begin_;
  trace::mapped_vector<trace::LiveObject> live_at_end_;
  trace::mapped_vector<void*> shared_;  // pointers of the live objects another thread frees
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
  unsigned threads = trace::check_trace(std::string(name.substr(prefix.size()))).threads;
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
