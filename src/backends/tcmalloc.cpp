// Backend `tcmalloc`: gperftools' thread-caching malloc (the minimal build, no profiler).
#include "worker/backend.hpp"
#include "worker/settings.hpp"

#include <gperftools/malloc_extension_c.h>
#include <gperftools/tcmalloc.h>

#include <fmt/format.h>

namespace allocbench {
namespace {

using Kind = SettingSpec::Kind;

std::optional<size_t> property(const char* name) {
  size_t value = 0;
  if (!::MallocExtension_GetNumericProperty(name, &value)) return std::nullopt;
  return value;
}

// The settings gperftools exposes as properties can be read back; the others cannot.
std::optional<std::string> effective(const SettingSpec& o) {
  const char* name = o.name == "max_total_thread_cache_bytes" ? "tcmalloc.max_total_thread_cache_bytes"
                     : o.name == "aggressive_decommit"        ? "tcmalloc.aggressive_memory_decommit"
                     : o.name == "heap_limit_mb"              ? "tcmalloc.heap_limit_mb"
                                                              : nullptr;
  if (!name) return std::nullopt;
  auto v = property(name);
  return v ? std::optional(canonical_value(o, static_cast<int64_t>(*v))) : std::nullopt;
}


}  // namespace

std::string backend_version() {
  int major = 0, minor = 0;
  const char* patch = nullptr;
  ::tc_version(&major, &minor, &patch);
  return fmt::format("{}.{}{}", major, minor, patch ? patch : "");
}

const SettingsSchema& settings_schema() {
  static const SettingsSchema schema{
      {
          {"max_total_thread_cache_bytes", Kind::bytes, 1 << 20, int64_t{1} << 40, {}, "bound on all thread caches together"},
          {"aggressive_decommit", Kind::boolean, 0, 1, {}, "return free pages to the OS at once"},
          {"release_rate", Kind::integer, 0, 100, {}, "how fast free memory is returned to the OS (0: never)"},
          {"heap_limit_mb", Kind::integer, 0, int64_t{1} << 30, {}, "heap size limit in MiB (0: none)"},
          {"transfer_num_obj", Kind::integer, 1, 1 << 14, {}, "objects moved between thread and central caches at once"},
          {"skip_sbrk", Kind::boolean, 0, 1, {}, "never grow the heap with sbrk()"},
      },
      [](const Settings& s) { return variable_per_setting("TCMALLOC_", s); },  // read at start-up
      effective};
  return schema;
}

AllocatorStats allocator_stats() {
  AllocatorStats stats;
  auto heap = property("generic.heap_size");
  auto unmapped = property("tcmalloc.pageheap_unmapped_bytes");
  if (auto v = property("generic.current_allocated_bytes")) stats.add("allocated_bytes", static_cast<double>(*v));
  if (heap) stats.add("mapped_bytes", static_cast<double>(*heap));
  if (heap && unmapped) stats.add("resident_bytes", static_cast<double>(*heap - *unmapped));
  for (auto [key, name] : {std::pair{"pageheap_free_bytes", "tcmalloc.pageheap_free_bytes"},
                           {"central_cache_free_bytes", "tcmalloc.central_cache_free_bytes"},
                           {"transfer_cache_free_bytes", "tcmalloc.transfer_cache_free_bytes"},
                           {"thread_cache_free_bytes", "tcmalloc.thread_cache_free_bytes"}})
    if (auto v = property(name)) stats.add(key, static_cast<double>(*v));
  return stats;
}

bool release_free_memory() {
  ::MallocExtension_ReleaseFreeMemory();
  return true;
}

bool returns_memory_through_libc() { return true; }

}  // namespace allocbench
