// trace:FILE — replays a program's recorded allocations (allocbench record): the same
// calls with the same sizes and alignments, in the same order, each object freed by
// the same call as in the program, on as many threads as the program had.
//
// The trace is prepared once (trace/prepared.hpp, kept in the replay cache): each
// thread reads its own records straight through a window of fixed size, refilled with
// pread, so the replay's memory does not grow with the trace, and setup builds nothing.
//
// Ordering between threads: each thread replays its own operations in recorded order,
// and an operation on an object another thread allocated (a cross-thread free) waits
// until that allocation has been replayed; an allocation into a shared slot waits until
// the slot's previous object was freed. Every wait points to an earlier operation, so the
// replay cannot deadlock, and nothing else is serialised. Single-threaded, the replay's
// live bytes follow the program's exactly; with threads, their interleaving is its own.
//
// Objects are written when allocated (touch) and read when freed (object_bytes.hpp). Frees of
// objects the trace never allocated, and second frees, are counted and skipped.
// The windows and slots live in mmap'd memory: neither the allocator under test nor the
// counting wrapper sees them, and the windows, resident through the phase at a constant
// size, are left out of the RSS figures (resident_harness_bytes). Calls of the malloc
// family bypass the counting operator new, so the replay counts them itself, and times them
// for run --latency (operator new times its own).
#include "common/error.hpp"
#include "counting/counting.hpp"
#include "counting/latency.hpp"
#include "trace/input_file.hpp"
#include "trace/mapped_vector.hpp"
#include "trace/objects.hpp"
#include "trace/prepared.hpp"
#include "workloads/digest.hpp"
#include "workloads/object_bytes.hpp"
#include "workloads/phased_threads.hpp"
#include "workloads/workload.hpp"

#include <fcntl.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <optional>
#include <thread>
#include <utility>

namespace allocbench {
namespace {

using trace::Extension;
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

[[noreturn]] void allocation_failed(size_t size, size_t index) {
  std::fprintf(stderr, "trace replay: the allocator returned no memory for %zu bytes (operation %zu of its thread)\n",
               size, index);
  std::abort();
}

[[noreturn]] void corrupt(const char* what) {
  std::fprintf(stderr, "trace replay: the prepared replay is corrupt: %s\n", what);
  std::abort();
}

void* allocate(Op op, size_t size, uint8_t align_log2, size_t index) {
  size_t alignment = size_t{1} << align_log2;
  void* p = nullptr;
  switch (op) {
    case Op::new_: return ::operator new(size);  // counted by the counting wrapper
    case Op::new_array: return ::operator new[](size);
    case Op::new_aligned: return ::operator new(size, std::align_val_t(alignment));
    case Op::new_array_aligned: return ::operator new[](size, std::align_val_t(alignment));
    case Op::malloc_: p = latency::timed(latency::Op::malloc, size, [size] { return std::malloc(size); }); break;
    case Op::calloc_: p = latency::timed(latency::Op::calloc, size, [size] { return std::calloc(1, size); }); break;
    case Op::posix_memalign_:
      p = latency::timed(latency::Op::aligned, size, [alignment, size] {
        void* q = nullptr;
        return ::posix_memalign(&q, alignment, size) == 0 ? q : nullptr;
      });
      break;
    case Op::aligned_alloc_:
      p = latency::timed(latency::Op::aligned, size, [alignment, size] { return std::aligned_alloc(alignment, size); });
      break;
    case Op::memalign_: p = latency::timed(latency::Op::aligned, size, [alignment, size] { return ::memalign(alignment, size); }); break;
    default: ALLOCBENCH_CHECK(!"an allocation");
  }
  if (!p && size) allocation_failed(size, index);
  count_alloc(size);
  return p;
}

// One thread's records, read in order through a window of fixed size: what is resident
// stays the same from the first fill (in setup) to the end.
class RecordWindow {
 public:
  static constexpr uint64_t window_records = 1 << 16;  // 1 MiB

  RecordWindow(int fd, const trace::PreparedThread& t)
      : fd_(fd), next_offset_(t.first_record_offset), left_(t.records),
        buffer_(std::min(t.records, window_records)) {}

  bool done() const { return at_ == filled_ && left_ == 0; }
  template <typename T>
  T next() {
    if (at_ == filled_) refill();
    return std::bit_cast<T>(buffer_[at_++]);
  }
  void refill() {
    size_t n = static_cast<size_t>(std::min<uint64_t>(left_, buffer_.size()));
    size_t bytes = n * sizeof(Record);
    for (size_t done = 0; done < bytes;) {
      ssize_t got = ::pread(fd_, reinterpret_cast<char*>(buffer_.data()) + done, bytes - done,
                            static_cast<off_t>(next_offset_ + done));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) corrupt("its records cannot be read");
      done += static_cast<size_t>(got);
    }
    next_offset_ += bytes;
    left_ -= n;
    at_ = 0;
    filled_ = n;
    // The next window, from disk into the page cache while this one is replayed.
    if (left_ > 0) ::posix_fadvise(fd_, static_cast<off_t>(next_offset_), static_cast<off_t>(bytes), POSIX_FADV_WILLNEED);
  }
  const void* data() const { return buffer_.data(); }
  size_t bytes() const { return buffer_.size() * sizeof(Record); }

 private:
  struct Record {
    uint64_t a, b;
  };
  int fd_;
  uint64_t next_offset_, left_;
  trace::mapped_vector<Record> buffer_;
  size_t at_ = 0, filled_ = 0;
};

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
      latency::timed(latency::Op::free, size, [p] { std::free(p); });
  }
}

class TraceReplay final : public Workload {
 public:
  explicit TraceReplay(const WorkloadConfig& c)
      : prepared_(c.prepared), allocate_(c.params.at("allocate") != 0) {
    if (prepared_.empty()) throw usage_error("--workload '{}': replays its prepared file (--prepared), none given", c.name);
  }

  void setup() override {
    file_.emplace(prepared_, "prepared replay");
    trace::PreparedReplay p = trace::read_prepared(*file_, false);
    operations_ = p.header.operations;
    uint64_t slots = p.header.shared_slots;
    for (const auto& t : p.threads) slots += t.local_slots;
    uint64_t needed = slots * sizeof(Slot) + p.threads.size() * RecordWindow::window_records * 16;
    if (needed > trace::available_memory())
      throw run_error("prepared replay {}: its live objects' slots and windows need {} MiB, more than is available",
                      prepared_, needed >> 20);

    unsigned threads = std::max<unsigned>(p.header.threads, 1);  // a trace of no operations replays on one
    per_thread_.resize(threads);
    for (unsigned t = 0; t < p.header.threads; ++t) {
      per_thread_[t].window.emplace(file_->fd(), p.threads[t]);
      per_thread_[t].window->refill();
      per_thread_[t].slots.resize(p.threads[t].local_slots);
    }
    shared_.resize(p.header.shared_slots);
    // The program's first thread replays on this one, the worker's main thread (PhasedThreads).
    threads_ = std::make_unique<PhasedThreads>(threads, [this](unsigned th, Phase ph) { step(th, ph); });
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

  // The windows: filled in setup, so resident through the phase, at the same size.
  int64_t resident_harness_bytes() const override {
    int64_t bytes = 0;
    for (const auto& t : per_thread_)
      if (t.window) bytes += resident_bytes(t.window->data(), t.window->bytes());
    return bytes;
  }

 private:
  // A live object: its pointer and what freeing it needs. `state` (shared slots only)
  // tells the slot's successive objects apart: 2g - 1 while its g-th object is in it, 2g
  // once that one is freed.
  struct Slot {
    void* p;
    uint64_t size;
    Op op;
    uint8_t align_log2;
    uint32_t state;
  };
  struct alignas(64) PerThread {
    std::optional<RecordWindow> window;
    trace::mapped_vector<Slot> slots;  // the live objects only this thread frees
    Digest digest;                     // every call in order: its kind, its size, what freed objects held
    uint64_t skipped_frees = 0;
    uint64_t done = 0;                 // operations replayed
  };

  // Stands for an object with no memory: with allocate=0, or a NULL from a zero-byte allocation.
  static inline void* const no_memory = reinterpret_cast<void*>(alignof(std::max_align_t));

  // A shared slot's state is a futex word; its top bit says that a thread sleeps on it.
  // A free waits for its object's allocation, often: it sleeps, and the allocation wakes
  // it. An allocation rarely waits for its slot's previous object to be freed (the slot
  // was freed long before, prepared.cpp): it polls. Setting the bit and changing the state
  // are both read-modify-writes of the word, so a wake-up is never lost.
  static constexpr uint32_t sleeping = 1u << 31;

  static void await(uint32_t& word, uint32_t want, bool sleep) {
    std::atomic_ref<uint32_t> state(word);
    for (int spin = 0;;) {
      uint32_t now = state.load(std::memory_order_acquire);
      if (((now ^ want) & ~sleeping) == 0) return;  // generations wrap at 2^30: equal in the low bits
      if (spin < 64) {
        ++spin;
        continue;
      }
      if (!sleep) {
        std::this_thread::yield();
      } else if ((now & sleeping) || state.compare_exchange_weak(now, now | sleeping, std::memory_order_acquire)) {
        ::syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, now | sleeping, nullptr, nullptr, 0);
      }
    }
  }

  static void advance(uint32_t& word, uint32_t value) {
    if (std::atomic_ref<uint32_t>(word).exchange(value & ~sleeping, std::memory_order_acq_rel) & sleeping)
      ::syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, INT32_MAX, nullptr, nullptr, 0);
  }

  Slot& local(PerThread& me, uint32_t slot) {
    if (slot >= me.slots.size()) corrupt("a slot out of range");
    return me.slots[slot];
  }
  Slot& shared(uint32_t slot) {
    if (slot >= shared_.size()) corrupt("a shared slot out of range");
    return shared_[slot];
  }

  // The freed object; from another thread's allocation, once it has been replayed.
  Slot take(PerThread& me, const ReplayOp& op, const Extension& x) {
    if (!(op.flags & ReplayOp::wait)) return std::exchange(local(me, op.old_slot), Slot{});
    Slot& s = shared(op.old_slot);
    await(s.state, 2 * x.old_gen - 1, true);
    Slot object{s.p, s.size, s.op, s.align_log2, 0};  // not the state, which others read meanwhile
    advance(s.state, 2 * x.old_gen);
    return object;
  }

  void publish(PerThread& me, const ReplayOp& op, const Extension& x, const Slot& object) {
    if (!(op.flags & ReplayOp::notify)) {
      local(me, op.slot) = object;
      return;
    }
    Slot& s = shared(op.slot);
    await(s.state, 2 * (x.gen - 1), false);  // the slot's previous object is freed
    s.p = object.p;
    s.size = object.size;
    s.op = object.op;
    s.align_log2 = object.align_log2;
    advance(s.state, 2 * x.gen - 1);
  }

  bool holds_memory(void* p) const { return allocate_ && p && p != no_memory; }

  // Reads the object back and frees it.
  void release(PerThread& me, const Slot& s) {
    if (!holds_memory(s.p)) return;
    me.digest.add(read_back(s.p, s.size) ^ s.size);
    deallocate(s.p, s.op, s.size, s.align_log2);
  }

  void replay(PerThread& me, const ReplayOp& op, const Extension& x) {
    size_t i = me.done++;
    uint64_t size = op.flags & ReplayOp::extended ? x.size : op.size;
    bool frees = op.old_slot != trace::none;
    me.digest.add(size << 8 | static_cast<uint8_t>(op.op));
    if (trace::is_free(op.op)) {
      if (!frees) {
        ++me.skipped_frees;
        return;
      }
      release(me, take(me, op, x));
      return;
    }
    void* p = no_memory;
    if (op.op == Op::realloc_) {
      // realloc of an object the trace never allocated is replayed as realloc(NULL, size).
      Slot old = frees ? take(me, op, x) : Slot{};
      if (allocate_) {
        if (frees) count_free(old.size);
        if (holds_memory(old.p)) me.digest.add(read_back(old.p, old.size) ^ old.size);
        else old.p = nullptr;
        p = latency::timed(latency::Op::realloc, size, [&old, size] { return std::realloc(old.p, size); });
        if (!p && size) allocation_failed(size, i);
        count_alloc(size);
      }
    } else if (allocate_) {
      p = allocate(op.op, size, op.align_log2, i);
    }
    if (holds_memory(p)) touch(p, size, i);
    publish(me, op, x, Slot{p ? p : no_memory, size, op.op, op.align_log2, 0});
  }

  void step(unsigned t, Phase phase) {
    PerThread& me = per_thread_[t];
    if (!me.window) return;
    if (phase == Phase::run) {
      while (!me.window->done()) {
        auto op = me.window->next<ReplayOp>();
        if (op.op >= Op::count_ || op.align_log2 > 40) corrupt("an operation out of range");
        Extension x{};
        if (op.flags & ReplayOp::extended) {
          if (me.window->done()) corrupt("an operation's extension is missing");
          x = me.window->next<Extension>();
        }
        replay(me, op, x);
      }
    } else if (phase == Phase::teardown) {
      // What the program never freed: freed here, by the thread that allocated it.
      for (Slot& s : me.slots) release(me, std::exchange(s, Slot{}));
    }
  }

  std::string prepared_;
  bool allocate_;
  std::optional<trace::InputFile> file_;
  uint64_t operations_ = 0;
  trace::mapped_vector<Slot> shared_;  // the live objects another thread frees
  std::vector<PerThread> per_thread_;
  std::unique_ptr<PhasedThreads> threads_;
};

}  // namespace

std::string trace_path(std::string_view name) { return std::string(name.substr(prefix.size())); }

const WorkloadInfo& trace_workload(std::string_view name) {
  // Made on first use, one per trace file, and kept: the plan and the worker refer to it.
  static std::deque<std::pair<std::string, WorkloadInfo>> known;
  for (const auto& [n, info] : known)
    if (n == name) return info;
  std::string path = trace_path(name);
  if (path.empty()) throw usage_error("--workload '{}': expected trace:FILE, a file written by allocbench record", name);
  trace::InputFile(path, "trace");  // it can be opened; the driver prepares it after planning
  auto& [stored, info] = known.emplace_back(std::string(name), WorkloadInfo{});
  info = {stored,
          "replays a recorded program",
          {{"allocate", ValueType::count, 1, 0, 1,
            "0: replay without calling the allocator, to measure the replay's own cost"}},
          1,
          WorkloadKind::trace,
          [](const WorkloadConfig& c) -> std::unique_ptr<Workload> { return std::make_unique<TraceReplay>(c); }};
  return info;
}

}  // namespace allocbench
