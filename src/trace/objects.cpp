#include "trace/objects.hpp"

#include "common/error.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <cstdio>

namespace allocbench::trace {

ObjectTable::ObjectTable(const std::string& path, uint64_t memory_limit) : path_(path), limit_(memory_limit) {
  entries_.resize(1 << 16);
}

size_t ObjectTable::probe(uint64_t address) const {
  size_t mask = entries_.size() - 1;
  // Fibonacci hashing: addresses are aligned, their high bits vary.
  size_t i = (address * 0x9e3779b97f4a7c15) >> 20 & mask;
  while (entries_[i].state != Entry::empty && entries_[i].address != address) i = (i + 1) & mask;
  return i;
}

ObjectTable::Entry* ObjectTable::find(uint64_t address) {
  Entry& e = entries_[probe(address)];
  return e.state == Entry::empty ? nullptr : &e;
}

ObjectTable::Entry& ObjectTable::at(uint64_t address) {
  if (2 * (used_ + 1) > entries_.size()) grow();
  Entry& e = entries_[probe(address)];
  if (e.state == Entry::empty) {
    e.address = address;
    ++used_;
  }
  return e;
}

// Keeps the live objects only, in a table a quarter full or less.
void ObjectTable::grow() {
  size_t size = 1 << 16;
  while (size < 4 * (live_ + 1)) size *= 2;
  uint64_t bytes = (size + entries_.size()) * sizeof(Entry);  // both, while moving
  if (bytes > limit_)
    throw run_error("trace {}: its {} live objects need more memory than is available (MemAvailable, or ulimit -v): "
                    "{} MiB, {} MiB available",
                    path_, live_, bytes >> 20, limit_ >> 20);
  std::vector<Entry> old(size);
  old.swap(entries_);
  for (const Entry& e : old)
    if (e.state == Entry::live) entries_[probe(e.address)] = e;
  used_ = live_;
}

uint64_t available_memory() {
  uint64_t available = UINT64_MAX;
  if (std::FILE* f = std::fopen("/proc/meminfo", "r")) {
    char line[256];
    unsigned long long kib = 0;
    bool found = false;
    while (!found && std::fgets(line, sizeof line, f)) found = std::sscanf(line, "MemAvailable: %llu kB", &kib) == 1;
    std::fclose(f);
    if (found) available = kib * 1024;
  }
  rlimit limit{};  // ulimit -v
  if (::getrlimit(RLIMIT_AS, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
    available = std::min<uint64_t>(available, limit.rlim_cur);
  return available;
}

}  // namespace allocbench::trace
