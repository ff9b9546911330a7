// Pairs every free in a trace with the allocation it frees, streaming: what it holds
// grows with the addresses in use, never with the operations. Addresses are reused;
// objects are not, so each allocation is an object of its own.
#pragma once

#include "trace/stream.hpp"

#include <cstdint>
#include <vector>

namespace allocbench::trace {

inline constexpr uint32_t no_slot = UINT32_MAX;

struct Object {
  uint64_t index = 0;  // the operation that allocated it, in recorded order from 0
  uint64_t size = 0;
  uint32_t thread = 0;
  uint32_t slot = no_slot, gen = 0;  // where the replay keeps it (prepared.cpp)
  Op op = Op::malloc_;
  uint8_t align_log2 = 0;
  uint8_t marks = 0;                 // the walker's user's own
};

// Frees and allocations that do not pair up: counted, and skipped by the replay.
struct Anomalies {
  uint64_t unknown_frees = 0;     // of an address never allocated in the trace
  uint64_t double_frees = 0;      // of an address whose object was already freed
  uint64_t reused_addresses = 0;  // allocated again with no free seen: the older object stays live
};

// Open addressing by address. An address whose object was freed stays, marked, to tell
// a double free from an unknown one, until the table next fills: then only the live
// objects are kept, so the table's size follows them, not the addresses ever used. (A
// second free long after the first may so count as a free of an unknown object.)
class ObjectTable {
 public:
  // `memory_limit`: the table refuses (an error naming the trace) to grow past it.
  ObjectTable(const std::string& path, uint64_t memory_limit);
  struct Entry {
    uint64_t address;
    Object object;
    enum State : uint8_t { empty, live, freed } state;
  };
  Entry* find(uint64_t address);  // nullptr: not known
  Entry& at(uint64_t address);    // found, or a new entry (empty) for it
  void set(Entry& e, Entry::State state) {
    live_ += (state == Entry::live) - (e.state == Entry::live);
    e.state = state;
  }

 private:
  size_t probe(uint64_t address) const;  // its entry, or the empty one where it would go
  void grow();
  const std::string& path_;
  uint64_t limit_;
  std::vector<Entry> entries_;
  size_t used_ = 0, live_ = 0;
};

// Calls visit(op, index, freed, made) for every operation in recorded order: `freed` is
// the object it frees (nullptr: none known), `made` the object it allocates (nullptr:
// a free), which the visitor may mark. A realloc frees before it allocates.
template <typename Visit>
Anomalies walk(TraceStream& in, uint64_t memory_limit, Visit&& visit) {
  ObjectTable objects(in.path(), memory_limit);
  Anomalies a;
  Operation op;
  for (uint64_t i = 0; in.next(op); ++i) {
    Object freed;
    bool frees = false;
    if (is_free(op.op) || op.op == Op::realloc_) {
      ObjectTable::Entry* e = objects.find(op.address);
      if (e && e->state == ObjectTable::Entry::live) {
        freed = e->object;
        frees = true;
        objects.set(*e, ObjectTable::Entry::freed);
      } else {
        ++(e ? a.double_frees : a.unknown_frees);
      }
    }
    if (is_free(op.op)) {
      visit(op, i, frees ? &freed : nullptr, nullptr);
      continue;
    }
    ObjectTable::Entry& e = objects.at(op.op == Op::realloc_ ? op.address2 : op.address);
    if (e.state == ObjectTable::Entry::live) ++a.reused_addresses;
    objects.set(e, ObjectTable::Entry::live);
    e.object = Object{i, op.size, op.thread, no_slot, 0, op.op, op.align_log2, 0};
    visit(op, i, frees ? &freed : nullptr, &e.object);
  }
  return a;
}

// What this process can still be given: MemAvailable, or less under ulimit -v.
uint64_t available_memory();

}  // namespace allocbench::trace
