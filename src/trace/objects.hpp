// Pairs every free in a trace with the allocation it frees, streaming: what it holds
// grows with the objects live at once, never with the operations. Addresses are
// reused; objects are not, so each allocation is an object of its own.
#pragma once

#include "trace/stream.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace allocbench::trace {

// What the walk keeps of a live object, at the least: trace-info needs no more.
struct Allocation {
  uint64_t index = 0;  // the operation that allocated it, in recorded order from 0
  uint64_t size = 0;
  static Allocation made_by(uint64_t index, const Operation& op) { return {index, op.size}; }
};

// What preparing a replay keeps of one (prepared.cpp).
struct Object : Allocation {
  uint32_t thread = 0;
  uint32_t slot = 0, gen = 0;  // where the replay keeps it
  Op op = Op::malloc_;
  uint8_t align_log2 = 0;
  uint8_t marks = 0;
  static Object made_by(uint64_t index, const Operation& op) {
    Object o;
    static_cast<Allocation&>(o) = Allocation::made_by(index, op);
    o.thread = op.thread;
    o.op = op.op;
    o.align_log2 = op.align_log2;
    return o;
  }
};

// Frees and allocations that do not pair up: counted, and skipped by the replay.
struct Anomalies {
  uint64_t unknown_frees = 0;     // of an address never allocated in the trace
  uint64_t double_frees = 0;      // of an address whose object was already freed
  uint64_t reused_addresses = 0;  // allocated again with no free seen: the older object stays live
};

// Values by address: open addressing with linear probing, up to seven eighths full (a
// table for a trace's millions of live objects stays small), entries removed by shifting
// back the ones after them. It refuses (a run error naming
// the trace) to grow past `memory_limit` bytes.
template <typename Value>
class AddressMap {
 public:
  AddressMap(const std::string& path, uint64_t memory_limit) : path_(&path), limit_(memory_limit) {
    entries_.resize(1 << 12);
  }
  size_t size() const { return used_ + (outlier_ ? 1 : 0); }
  Value* find(uint64_t address) {
    if (address == empty) return outlier_ ? &*outlier_ : nullptr;
    Entry& e = entries_[probe(address)];
    return e.address == empty ? nullptr : &e.value;
  }
  // Its value, `fresh` if it had none.
  Value& put(uint64_t address, const Value& fresh) {
    if (address == empty) return outlier_ ? *outlier_ : outlier_.emplace(fresh);
    if (8 * (used_ + 1) > 7 * entries_.size()) grow();
    Entry& e = entries_[probe(address)];
    if (e.address == empty) {
      e = {address, fresh};
      ++used_;
    }
    return e.value;
  }
  void erase(uint64_t address) {
    if (address == empty) return outlier_.reset();
    size_t mask = entries_.size() - 1, hole = probe(address);
    if (entries_[hole].address == empty) return;
    --used_;
    // Every entry after the hole that could sit in it moves back, so no search stops short.
    for (size_t i = (hole + 1) & mask; entries_[i].address != empty; i = (i + 1) & mask) {
      size_t home = slot_of(entries_[i].address);
      if (((i - home) & mask) >= ((i - hole) & mask)) {
        entries_[hole] = entries_[i];
        hole = i;
      }
    }
    entries_[hole].address = empty;
  }
  void clear() {
    entries_.assign(1 << 12, Entry{});
    used_ = 0;
    outlier_.reset();
  }

 private:
  static constexpr uint64_t empty = UINT64_MAX;  // no address; one that is has a place of its own
  struct Entry {
    uint64_t address = empty;
    [[no_unique_address]] Value value{};
  };
  // Fibonacci hashing: addresses are aligned, their high bits vary.
  size_t slot_of(uint64_t address) const { return (address * 0x9e3779b97f4a7c15) >> 20 & (entries_.size() - 1); }
  size_t probe(uint64_t address) const {
    size_t i = slot_of(address), mask = entries_.size() - 1;
    while (entries_[i].address != empty && entries_[i].address != address) i = (i + 1) & mask;
    return i;
  }
  void grow();

  const std::string* path_;
  uint64_t limit_;
  std::vector<Entry> entries_;
  size_t used_ = 0;
  std::optional<Value> outlier_;
};

[[noreturn]] void out_of_memory(const std::string& path, size_t objects, uint64_t needed, uint64_t limit);

template <typename Value>
void AddressMap<Value>::grow() {
  uint64_t bytes = 3 * entries_.size() * sizeof(Entry);  // the old table and the new, while moving
  if (bytes > limit_) out_of_memory(*path_, used_, bytes, limit_);
  std::vector<Entry> old(2 * entries_.size());
  old.swap(entries_);
  for (const Entry& e : old)
    if (e.address != empty) entries_[probe(e.address)] = e;
}

struct Nothing {};

// Calls visit(op, index, freed, made) for every operation in recorded order: `freed` is
// the object it frees (nullptr: none known), `made` the object it allocates (nullptr:
// a free), which the visitor may change. A realloc frees before it allocates.
//
// A free of an address no live object has is a double free if the address was freed
// before, else a free of an unknown object. The freed addresses are kept until they
// outnumber half the live objects (and 65536), then forgotten: a second free long after
// the first may count as unknown, and memory still follows the live objects.
template <typename Value, typename Visit>
Anomalies walk(TraceStream& in, uint64_t memory_limit, Visit&& visit) {
  AddressMap<Value> live(in.path(), memory_limit / 2);
  AddressMap<Nothing> freed_addresses(in.path(), memory_limit / 4);
  Anomalies a;
  Operation op;
  for (uint64_t i = 0; in.next(op); ++i) {
    Value freed;
    bool frees = false;
    if (is_free(op.op) || op.op == Op::realloc_) {
      if (Value* v = live.find(op.address)) {
        freed = *v;
        frees = true;
        live.erase(op.address);
        if (freed_addresses.size() > live.size() / 2 + (1 << 16)) freed_addresses.clear();
        freed_addresses.put(op.address, {});
      } else {
        ++(freed_addresses.find(op.address) ? a.double_frees : a.unknown_frees);
      }
    }
    if (is_free(op.op)) {
      visit(op, i, frees ? &freed : nullptr, static_cast<Value*>(nullptr));
      continue;
    }
    uint64_t address = op.op == Op::realloc_ ? op.address2 : op.address;
    size_t before = live.size();
    Value& made = live.put(address, Value::made_by(i, op));
    if (live.size() == before) {  // the older object stays live, unreachable
      ++a.reused_addresses;
      made = Value::made_by(i, op);
    }
    visit(op, i, frees ? &freed : nullptr, &made);
  }
  return a;
}

// What this process can still be given: MemAvailable, or less under ulimit -v.
uint64_t available_memory();

}  // namespace allocbench::trace
