// Backend `pool`: allocbench's own size-class pool (src/pool), the allocator a team
// would write for itself, measured like the others. Its worker links liballocbench-pool.so,
// which then provides malloc, and asks the library itself what it runs with.
#include "pool/pool.hpp"
#include "worker/backend.hpp"
#include "worker/settings.hpp"

#include <malloc.h>

namespace allocbench {
namespace {

using Kind = SettingSpec::Kind;

// What the library runs with; it started at the worker's first allocation, long before.
std::optional<std::string> effective(const SettingSpec& o) {
  const pool::Settings& s = pool::settings();
  if (o.name == "max_class") return canonical_value(o, static_cast<int64_t>(s.max_class));
  if (o.name == "chunk_bytes") return canonical_value(o, static_cast<int64_t>(s.chunk_bytes));
  if (o.name == "thread_cache") return canonical_value(o, static_cast<int64_t>(s.thread_cache));
  return std::nullopt;
}

}  // namespace

std::string backend_version() { return pool::version(); }

const SettingsSchema& settings_schema() {
  static const SettingsSchema schema{
      {
          {"max_class", Kind::bytes, pool::smallest_class, pool::largest_max_class, {},
           "largest size served from a size class; larger sizes and alignments go to glibc", pool::class_step},
          {"chunk_bytes", Kind::bytes, pool::chunk_granule, pool::largest_chunk, {},
           "memory each size class maps at a time", pool::chunk_granule},
          {"thread_cache", Kind::integer, 0, pool::largest_thread_cache, {},
           "free blocks a thread keeps per size class (0: every call goes to the global lists)"},
      },
      [](const Settings& s) { return variable_per_setting("ALLOCBENCH_POOL_", s); },
      effective};
  return schema;
}

// The pool never returns memory: what it has mapped stays mapped, and the blocks the
// program gave back sit in the global lists and the threads' caches. glibc's figures
// are for the requests the pool leaves to it; glibc cannot tell its resident part, so
// resident_bytes counts what glibc has mapped, as the system backend's figures do.
AllocatorStats allocator_stats() {
  pool::Stats s = pool::stats();
  struct mallinfo2 glibc = ::mallinfo2();
  double held = static_cast<double>(s.carved_bytes) - static_cast<double>(s.free_list_bytes + s.thread_cache_bytes);
  double glibc_held = static_cast<double>(glibc.uordblks + glibc.hblkhd);
  double glibc_mapped = static_cast<double>(glibc.arena + glibc.hblkhd);
  AllocatorStats stats;
  stats.add("allocated_bytes", held + glibc_held);
  stats.add("resident_bytes", static_cast<double>(s.resident_bytes) + glibc_mapped);
  stats.add("mapped_bytes", static_cast<double>(s.chunk_bytes) + glibc_mapped);
  stats.add("chunk_bytes", static_cast<double>(s.chunk_bytes));
  stats.add("chunk_resident_bytes", static_cast<double>(s.resident_bytes));
  stats.add("carved_bytes", static_cast<double>(s.carved_bytes));
  stats.add("free_list_bytes", static_cast<double>(s.free_list_bytes));
  stats.add("thread_cache_bytes", static_cast<double>(s.thread_cache_bytes));
  stats.add("glibc_bytes", glibc_held);
  stats.add("fallback_bytes", static_cast<double>(s.fallback_bytes));
  return stats;
}

// The pool keeps every chunk it carved, by design; glibc, its fallback, can trim.
bool release_free_memory() { return ::malloc_trim(0), true; }

// The pool never returns a chunk, and its fallback is glibc's malloc, whose returns no
// interposer sees: a count of 0 would hide them.
bool returns_memory_through_libc() { return false; }

}  // namespace allocbench
