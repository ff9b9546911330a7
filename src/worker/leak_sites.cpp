#include "worker/leak_sites.hpp"

#include <dlfcn.h>
#include <execinfo.h>
#include <sys/mman.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>

namespace allocbench::leak_sites {

std::atomic<bool> recording_flag{false};

namespace {

constexpr int max_depth = 24;

// Anonymous memory, zeroed: the recorder never calls the allocator it watches.
template <typename T>
T* map_zeroed(size_t n) {
  void* m = ::mmap(nullptr, n * sizeof(T), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) std::abort();  // out of address space while recording: nothing sane to report
  return static_cast<T*>(m);
}

template <typename T>
void unmap(T* p, size_t n) {
  if (p) ::munmap(p, n * sizeof(T));
}

uint64_t mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  return x;
}

struct Stack {
  int depth;
  void* frames[max_depth];
};

struct LiveEntry {
  uintptr_t ptr;  // 0: empty slot
  int64_t size;
  uint32_t stack;
};

// Open addressing with linear probing, power-of-two capacity, kept at most half full.
struct State {
  std::mutex lock;
  LiveEntry* live = nullptr;
  size_t live_capacity = 0, live_count = 0;
  Stack* stacks = nullptr;
  size_t stacks_capacity = 0, stack_count = 0;
  uint32_t* stack_index = nullptr;  // stack id + 1; 0: empty slot
  size_t index_capacity = 0;
} state;

thread_local bool inside = false;  // backtrace() itself may allocate

size_t home(uintptr_t p, size_t capacity) { return mix(p) & (capacity - 1); }

void insert_live(LiveEntry e);

void grow_live() {
  LiveEntry* old = state.live;
  size_t old_capacity = state.live_capacity;
  state.live_capacity = old_capacity ? old_capacity * 2 : size_t{1} << 16;
  state.live = map_zeroed<LiveEntry>(state.live_capacity);
  state.live_count = 0;
  for (size_t i = 0; i < old_capacity; ++i)
    if (old[i].ptr) insert_live(old[i]);
  unmap(old, old_capacity);
}

void insert_live(LiveEntry e) {
  if ((state.live_count + 1) * 2 > state.live_capacity) grow_live();
  size_t mask = state.live_capacity - 1;
  size_t i = home(e.ptr, state.live_capacity);
  while (state.live[i].ptr && state.live[i].ptr != e.ptr) i = (i + 1) & mask;
  if (!state.live[i].ptr) ++state.live_count;
  state.live[i] = e;
}

// Backward-shift deletion: no tombstones, probes stay short.
void erase_live(uintptr_t p) {
  if (!state.live_capacity) return;
  size_t mask = state.live_capacity - 1;
  size_t i = home(p, state.live_capacity);
  while (state.live[i].ptr != p) {
    if (!state.live[i].ptr) return;  // allocated before recording began
    i = (i + 1) & mask;
  }
  for (size_t j = (i + 1) & mask; state.live[j].ptr; j = (j + 1) & mask) {
    size_t k = home(state.live[j].ptr, state.live_capacity);
    bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
    if (!stays) {
      state.live[i] = state.live[j];
      i = j;
    }
  }
  state.live[i].ptr = 0;
  --state.live_count;
}

uint64_t stack_hash(void* const* frames, int depth) {
  uint64_t h = static_cast<uint64_t>(depth);
  for (int i = 0; i < depth; ++i) h = mix(h ^ reinterpret_cast<uintptr_t>(frames[i]));
  return h;
}

uint32_t stack_id(void* const* frames, int depth) {
  uint64_t h = stack_hash(frames, depth);
  if ((state.stack_count + 1) * 2 > state.index_capacity) {
    unmap(state.stack_index, state.index_capacity);
    state.index_capacity = state.index_capacity ? state.index_capacity * 2 : 1024;
    state.stack_index = map_zeroed<uint32_t>(state.index_capacity);
    for (uint32_t id = 0; id < state.stack_count; ++id) {
      const Stack& s = state.stacks[id];
      size_t slot = stack_hash(s.frames, s.depth) & (state.index_capacity - 1);
      while (state.stack_index[slot]) slot = (slot + 1) & (state.index_capacity - 1);
      state.stack_index[slot] = id + 1;
    }
  }
  size_t mask = state.index_capacity - 1;
  for (size_t slot = h & mask;; slot = (slot + 1) & mask) {
    uint32_t entry = state.stack_index[slot];
    if (!entry) {
      if (state.stack_count == state.stacks_capacity) {
        Stack* old = state.stacks;
        size_t old_capacity = state.stacks_capacity;
        state.stacks_capacity = old_capacity ? old_capacity * 2 : 512;
        state.stacks = map_zeroed<Stack>(state.stacks_capacity);
        if (old) std::memcpy(state.stacks, old, old_capacity * sizeof(Stack));
        unmap(old, old_capacity);
      }
      Stack& s = state.stacks[state.stack_count];
      s.depth = depth;
      std::memcpy(s.frames, frames, static_cast<size_t>(depth) * sizeof(void*));
      state.stack_index[slot] = static_cast<uint32_t>(++state.stack_count);
      return static_cast<uint32_t>(state.stack_count - 1);
    }
    const Stack& s = state.stacks[entry - 1];
    if (s.depth == depth && std::memcmp(s.frames, frames, static_cast<size_t>(depth) * sizeof(void*)) == 0)
      return entry - 1;
  }
}

}  // namespace

void start() {
  void* warm[2];
  ::backtrace(warm, 2);  // loads the unwinder now, not inside the first recorded allocation
  recording_flag.store(true);
}

void stop() { recording_flag.store(false); }

void on_alloc(void* p, size_t n) {
  if (inside) return;
  inside = true;
  void* frames[max_depth];
  int depth = ::backtrace(frames, max_depth);
  {
    std::lock_guard g(state.lock);
    insert_live({reinterpret_cast<uintptr_t>(p), static_cast<int64_t>(n), stack_id(frames, depth)});
  }
  inside = false;
}

void on_free(void* p) {
  std::lock_guard g(state.lock);
  erase_live(reinterpret_cast<uintptr_t>(p));
}

std::vector<Site> live_sites(size_t top) {
  std::lock_guard g(state.lock);
  std::map<uint32_t, Site> by_stack;
  for (size_t i = 0; i < state.live_capacity; ++i) {
    const LiveEntry& e = state.live[i];
    if (!e.ptr) continue;
    Site& site = by_stack[e.stack];
    site.bytes += e.size;
    ++site.count;
  }
  std::vector<std::pair<uint32_t, Site>> sites(by_stack.begin(), by_stack.end());
  std::sort(sites.begin(), sites.end(), [](auto& a, auto& b) { return a.second.bytes > b.second.bytes; });
  if (sites.size() > top) sites.resize(top);

  std::vector<Site> out;
  for (auto& [id, site] : sites) {
    const Stack& s = state.stacks[id];
    // The frames of the wrapper itself end at operator new (or new[]): the site is below it.
    int first = 0;
    for (int i = 0; i < s.depth; ++i) {
      Dl_info info{};
      if (::dladdr(s.frames[i], &info) && info.dli_sname &&
          (std::strncmp(info.dli_sname, "_Znw", 4) == 0 || std::strncmp(info.dli_sname, "_Zna", 4) == 0))
        first = i + 1;
    }
    for (int i = first; i < s.depth; ++i) {
      Dl_info info{};
      if (!::dladdr(s.frames[i], &info) || !info.dli_fname) continue;
      char path[PATH_MAX];  // the executable is named as it was started: make it absolute
      const char* module = ::realpath(info.dli_fname, path) ? path : info.dli_fname;
      // A return address: the call is the byte before it.
      site.frames.push_back({module, reinterpret_cast<uintptr_t>(s.frames[i]) -
                                         reinterpret_cast<uintptr_t>(info.dli_fbase) - 1});
    }
    out.push_back(std::move(site));
  }
  return out;
}

}  // namespace allocbench::leak_sites
