// liballocbench-recorder.so: loaded with LD_PRELOAD by `allocbench record`, it logs
// every malloc-family call and operator new/delete of the program into the trace file
// named by ALLOCBENCH_TRACE_FILE (format: src/trace/format.hpp); interpose.cpp forwards
// each call to the allocator that follows it in the lookup order.
//
// It runs inside malloc, so it never allocates: buffers come from mmap, state is
// static or thread-local (initial-exec, so reaching it cannot call malloc either),
// and a thread-local guard passes through any allocation made while recording.
//
// Each thread fills its own buffer under its own uncontended lock; the only shared
// write per call is the sequence counter that orders all threads' operations. A full
// buffer is written as one chunk with one write(2). Buffers are flushed when a thread
// exits, at exit() from any thread, and on fatal signals. Child processes record into
// files of their own (start(), below).
#include "preload/interpose.hpp"
#include "trace/format.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <new>

namespace {

namespace trace = allocbench::trace;
using trace::Op;

#define TLS thread_local __attribute__((tls_model("initial-exec")))

// ── Recording state ──────────────────────────────────────────────────────────
enum State : int { off, recording, closed };
constinit std::atomic<int> state{off};
constinit std::atomic<uint64_t> next_seq{0};
constinit std::atomic<uint32_t> next_thread{0};
constinit std::atomic<uint64_t> dropped_events{0};  // calls after the trace was closed
constinit std::atomic<uint64_t> written_events{0};
int trace_fd = -1;
pthread_key_t exit_key;

constexpr size_t buffer_bytes = 1 << 20;  // one chunk: large writes, few syscalls

struct Buffer {
  std::atomic<bool> locked{false};
  uint32_t thread = 0;
  uint32_t events = 0;  // in the chunk being filled
  uint64_t prev_seq = 0, prev_time = 0;
  uint64_t prev_address = 0;
  unsigned char* end = nullptr;  // next free byte of data
  Buffer* next = nullptr;        // every buffer ever made, for the flush at exit
  unsigned char data[buffer_bytes - 64];
};
static_assert(offsetof(Buffer, data) <= 64);
constinit std::atomic<Buffer*> all_buffers{nullptr};

TLS Buffer* my_buffer = nullptr;
TLS bool busy = false;  // this thread is inside the recorder: pass allocations through

uint64_t now_us() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000 + static_cast<uint64_t>(ts.tv_nsec) / 1000;
}

void put32(unsigned char* p, uint32_t v) { std::memcpy(p, &v, 4); }
void put64(unsigned char* p, uint64_t v) { std::memcpy(p, &v, 8); }

void write_all(const unsigned char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(trace_fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;  // a full disk: the trace ends here, the program goes on
    p += w;
    n -= static_cast<size_t>(w);
  }
}

unsigned char* first_event(Buffer& b) { return b.data + trace::chunk_header_bytes; }

// Writes the buffer's events as one chunk and empties it; the caller holds its lock.
void flush(Buffer& b) {
  if (b.events == 0) return;
  int saved_errno = errno;
  // The chunk header sits in front of the events: the first event stored its seq and time.
  size_t payload = static_cast<size_t>(b.end - first_event(b));
  put32(b.data, trace::chunk_tag);
  put32(b.data + 4, b.thread);
  put32(b.data + 8, b.events);
  put32(b.data + 12, static_cast<uint32_t>(payload));
  write_all(b.data, trace::chunk_header_bytes + payload);
  written_events.fetch_add(b.events);
  b.events = 0;
  b.end = first_event(b);
  errno = saved_errno;
}

void lock(Buffer& b) {
  while (b.locked.exchange(true, std::memory_order_acquire)) sched_yield();
}
void unlock(Buffer& b) { b.locked.store(false, std::memory_order_release); }

void flush_at_thread_exit(void* p) {
  auto& b = *static_cast<Buffer*>(p);
  busy = true;
  lock(b);
  if (state.load() == recording) flush(b);  // once closed, the trace ends with the end record
  unlock(b);
  // Its pages go back to the system: a program that starts many threads keeps
  // only the buffers of the living ones resident.
  madvise(b.data + 4096, sizeof b.data - 4096, MADV_DONTNEED);
  busy = false;
}

Buffer* make_buffer() {
  void* m = mmap(nullptr, sizeof(Buffer), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) return nullptr;
  auto* b = new (m) Buffer;
  b->thread = next_thread.fetch_add(1);
  b->end = first_event(*b);
  b->next = all_buffers.load();
  while (!all_buffers.compare_exchange_weak(b->next, b)) {
  }
  pthread_setspecific(exit_key, b);
  return b;
}

void write_end_record() {
  unsigned char end[trace::end_record_bytes] = {};
  put32(end, trace::end_tag);
  put32(end + 4, next_thread.load());
  put64(end + 8, written_events.load());
  put64(end + 16, dropped_events.load());
  write_all(end, sizeof end);
}

// Every buffer, written out, and the end record after a normal exit. From a signal
// handler, a buffer whose owner is interrupted inside the recorder is skipped.
void flush_all(bool from_signal) {
  int expected = recording;
  if (!state.compare_exchange_strong(expected, closed)) return;
  busy = true;
  for (Buffer* b = all_buffers.load(); b; b = b->next) {
    if (from_signal) {  // this thread may hold a lock itself: try, and give up
      bool got = false;
      for (int spins = 0; spins < 1000 && !got; ++spins) got = !b->locked.exchange(true, std::memory_order_acquire);
      if (!got) continue;
    } else {
      lock(*b);  // its owner is appending or writing, perhaps preempted: it will let go
    }
    flush(*b);
    unlock(*b);
  }
  if (!from_signal) write_end_record();  // without it, the trace tells that the program did not exit normally
  busy = false;
}

// ── Appending one operation ───────────────────────────────────────────────────
struct Event {
  Op op;
  uintptr_t address;     // the object (allocations, frees) or the old one (realloc)
  uintptr_t address2;    // realloc: the new object
  uint64_t size;
  unsigned align_log2;
};

void append(Buffer& b, const Event& e) {
  unsigned char* p = b.end;
  uint64_t seq = next_seq.fetch_add(1, std::memory_order_relaxed);
  uint64_t time = now_us();
  if (b.events == 0) {
    put64(b.data + 16, seq);
    put64(b.data + 24, time);
    b.prev_seq = seq;
    b.prev_time = time;
    b.prev_address = 0;
  }
  *p++ = static_cast<unsigned char>(e.op);
  p = trace::put_varint(p, seq - b.prev_seq);
  p = trace::put_varint(p, time - b.prev_time);
  p = trace::put_varint(p, trace::zigzag(static_cast<int64_t>(e.address - b.prev_address)));
  b.prev_address = e.address;
  if (e.op == Op::realloc_) {
    p = trace::put_varint(p, trace::zigzag(static_cast<int64_t>(e.address2 - e.address)));
    b.prev_address = e.address2;
  }
  if (!trace::is_free(e.op)) p = trace::put_varint(p, e.size);
  if (trace::is_aligned_allocation(e.op)) *p++ = static_cast<unsigned char>(e.align_log2);
  b.prev_seq = seq;
  b.prev_time = time;
  b.end = p;
  ++b.events;
}

// The state is checked again under the buffer's lock: flush_all closes the trace and
// then takes every lock, so an event is either in a buffer it flushes, or dropped.
void record(const Event& e) {
  if (busy || state.load(std::memory_order_relaxed) == off) return;
  busy = true;
  Buffer* b = my_buffer ? my_buffer : (my_buffer = make_buffer());
  if (b) {
    lock(*b);
    if (state.load() != recording) {
      dropped_events.fetch_add(1, std::memory_order_relaxed);
    } else {
      if (b->data + sizeof b->data - b->end < static_cast<ptrdiff_t>(trace::max_event_bytes)) flush(*b);
      append(*b, e);
    }
    unlock(*b);
  }
  busy = false;
}

unsigned log2_of(size_t alignment) { return alignment ? static_cast<unsigned>(__builtin_ctzll(alignment)) : 0; }


// ── Start, fork, exit, signals ───────────────────────────────────────────────
constexpr int fatal_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTERM, SIGINT, SIGHUP, SIGQUIT};
struct sigaction previous_actions[sizeof fatal_signals / sizeof fatal_signals[0]];

void on_fatal_signal(int sig) {
  flush_all(true);
  for (size_t i = 0; i < sizeof fatal_signals / sizeof fatal_signals[0]; ++i)
    if (fatal_signals[i] == sig) sigaction(sig, &previous_actions[i], nullptr);
  raise(sig);  // delivered when this handler returns, with the program's own action
}

char trace_path[4096];  // ALLOCBENCH_TRACE_FILE

// "<trace>.<pid>": where a child process records, formatted without allocating.
void child_path(char* out, size_t size) {
  char digits[24];
  size_t n = 0;
  for (pid_t pid = getpid(); pid > 0; pid /= 10) digits[n++] = static_cast<char>('0' + pid % 10);
  size_t len = strnlen(trace_path, size - n - 2);
  std::memcpy(out, trace_path, len);
  out[len++] = '.';
  while (n > 0) out[len++] = digits[--n];
  out[len] = '\0';
}

bool open_trace(const char* path) {
  trace_fd = ::open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (trace_fd < 0) return false;
  unsigned char header[trace::header_bytes] = {};
  std::memcpy(header, trace::magic, sizeof trace::magic);
  put32(header + 8, trace::version);
  write_all(header, sizeof header);
  return true;
}

// A forked child records into its own file. It starts from empty buffers: what they
// held is the parent's, which the parent writes.
void record_child() {
  if (state.load() != recording) return;
  ::close(trace_fd);
  for (Buffer* b = all_buffers.load(); b; b = b->next) {
    b->locked.store(false);  // held, perhaps, by a thread that does not exist here
    b->events = 0;
    b->end = first_event(*b);
  }
  written_events.store(0);
  char path[sizeof trace_path + 24];
  child_path(path, sizeof path);
  if (!open_trace(path)) state.store(off);
}

void install_signal_handlers() {
  for (size_t i = 0; i < sizeof fatal_signals / sizeof fatal_signals[0]; ++i) {
    sigaction(fatal_signals[i], nullptr, &previous_actions[i]);
    if (previous_actions[i].sa_handler == SIG_IGN) continue;  // e.g. SIGHUP under nohup stays ignored
    struct sigaction action {};
    action.sa_handler = on_fatal_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESETHAND | SA_NODEFER;
    sigaction(fatal_signals[i], &action, nullptr);
  }
}

// The process `allocbench record` started (ALLOCBENCH_TRACE_PARENT names its parent)
// records into the trace, also after it executes another program: a wrapper script
// that execs the real program leaves the real program's trace. Every other process
// that inherits the environment (children, their children) records into
// "<trace>.<pid>".
__attribute__((constructor)) void start() {
  busy = true;
  allocbench::preload::resolve_next_allocator();
  const char* path = std::getenv("ALLOCBENCH_TRACE_FILE");
  if (path && *path && std::strlen(path) < sizeof trace_path) {
    std::strcpy(trace_path, path);
    const char* parent = std::getenv("ALLOCBENCH_TRACE_PARENT");
    bool main_process = !parent || std::atol(parent) == getppid();
    char own[sizeof trace_path + 24];
    if (!main_process) child_path(own, sizeof own);
    if (open_trace(main_process ? trace_path : own)) {
      pthread_key_create(&exit_key, flush_at_thread_exit);
      pthread_atfork(nullptr, nullptr, record_child);
      install_signal_handlers();
      state.store(recording);
    }
  }
  busy = false;
}

// Runs at exit() — from any thread — after the program's own atexit handlers.
__attribute__((destructor)) void finish() { flush_all(false); }

// ── C allocation functions ───────────────────────────────────────────────────
}  // namespace

namespace allocbench::preload {

void on_allocation(Op op, void* p, size_t size, size_t alignment, const void*) {
  record({op, reinterpret_cast<uintptr_t>(p), 0, size, log2_of(alignment)});
}
void on_free(Op op, void* p) { record({op, reinterpret_cast<uintptr_t>(p), 0, 0, 0}); }
int64_t on_realloc_start(void*) { return 0; }
void on_realloc(void* old, void* p, size_t size, const void*, int64_t) {
  if (p)
    record({Op::realloc_, reinterpret_cast<uintptr_t>(old), reinterpret_cast<uintptr_t>(p), size, 0});
  else if (size == 0)
    on_free(Op::free_, old);  // glibc's realloc(p, 0) frees p
}

}  // namespace allocbench::preload
