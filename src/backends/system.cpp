// Backend `system`: glibc's malloc, the default of every Linux program.
#include "worker/backend.hpp"
#include "worker/settings.hpp"

#include <gnu/libc-version.h>
#include <malloc.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace allocbench {
namespace {

using Kind = SettingSpec::Kind;

// The dynamic loader reads GLIBC_TUNABLES before main: "glibc.malloc.KEY=VALUE:…".
std::map<std::string, std::string> environment(const Settings& settings) {
  std::vector<std::string> pairs;
  for (const auto& [k, v] : settings) pairs.push_back(fmt::format("glibc.malloc.{}={}", k, v));
  return {{"GLIBC_TUNABLES", fmt::format("{}", fmt::join(pairs, ":"))}};
}

// glibc has no public way to read a tunable back.
std::optional<std::string> effective(const SettingSpec&) { return std::nullopt; }

}  // namespace

std::string backend_version() { return ::gnu_get_libc_version(); }

// Ranges as `ld.so --list-tunables` of glibc 2.36 states them, where tighter than any integer.
const SettingsSchema& settings_schema() {
  constexpr int64_t any = std::numeric_limits<int64_t>::max();
  static const SettingsSchema schema{
      {
          {"arena_max", Kind::integer, 1, any, {}, "most arenas threads are spread over"},
          {"arena_test", Kind::integer, 1, any, {}, "arenas created before arena_max is checked"},
          {"mmap_threshold", Kind::bytes, 0, 32 << 20, {}, "requests at least this big are served by mmap()"},
          {"mmap_max", Kind::integer, 0, 2147483647, {}, "most chunks served by mmap() at once"},
          {"trim_threshold", Kind::bytes, 0, any, {}, "free memory at the heap's top that triggers a trim"},
          {"top_pad", Kind::bytes, 0, any, {}, "extra memory obtained on each sbrk()"},
          {"tcache_count", Kind::integer, 0, 65535, {}, "chunks per thread-cache bin (0: no thread cache)"},
          {"tcache_max", Kind::bytes, 0, 1032, {}, "largest size served from the thread cache"},
          {"tcache_unsorted_limit", Kind::integer, 0, any, {}, "unsorted chunks examined when filling the tcache"},
          {"mxfast", Kind::bytes, 0, 160, {}, "largest size served from fastbins"},
          {"perturb", Kind::integer, 0, 255, {}, "fill freed and new memory with this byte (debugging)"},
          {"hugetlb", Kind::integer, 0, 2, {}, "transparent (1) or reserved (2) huge pages"},
      },
      environment,
      effective};
  return schema;
}

// mallinfo2 sums over all arenas: in-use chunks plus mmapped chunks are what the
// program holds; the arenas' system bytes plus mmapped chunks are what glibc maps.
AllocatorStats allocator_stats() {
  struct mallinfo2 mi = ::mallinfo2();
  AllocatorStats stats;
  stats.add("allocated_bytes", static_cast<double>(mi.uordblks + mi.hblkhd));
  stats.add("mapped_bytes", static_cast<double>(mi.arena + mi.hblkhd));
  stats.add("free_bytes", static_cast<double>(mi.fordblks));
  stats.add("mmapped_bytes", static_cast<double>(mi.hblkhd));
  return stats;
}

// glibc gives back the top of its heap by itself; holes below it only through malloc_trim.
bool release_free_memory() { return ::malloc_trim(0), true; }

bool returns_memory_through_libc() { return false; }

}  // namespace allocbench
