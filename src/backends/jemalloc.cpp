// Backend `jemalloc`: FreeBSD's and Meta's allocator (arenas, thread caches, size classes).
#include "worker/backend.hpp"
#include "worker/identity.hpp"
#include "worker/settings.hpp"

#include <jemalloc/jemalloc.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdint>

namespace allocbench {
namespace {

using Kind = SettingSpec::Kind;

template <typename T>
std::optional<T> read_ctl(const char* name) {
  T value{};
  size_t len = sizeof value;
  if (::mallctl(name, &value, &len, nullptr, 0) != 0) return std::nullopt;
  return value;
}

// opt.* values are bool, unsigned, size_t, ssize_t or strings; mallctl refuses a read
// of the wrong width, so an integer is tried as 64 bits first, then 32.
std::optional<std::string> effective(const SettingSpec& o) {
  std::string name = fmt::format("opt.{}", o.name);
  switch (o.kind) {
    case Kind::boolean:
      if (auto v = read_ctl<bool>(name.c_str())) return canonical_value(o, *v);
      return std::nullopt;
    case Kind::choice:
      if (auto v = read_ctl<const char*>(name.c_str()); v && *v) return std::string(*v);
      return std::nullopt;
    case Kind::integer:
    case Kind::bytes:
      if (auto v = read_ctl<int64_t>(name.c_str())) return canonical_value(o, *v);
      if (auto v = read_ctl<uint32_t>(name.c_str())) return canonical_value(o, *v);
      return std::nullopt;
  }
  return std::nullopt;
}

// jemalloc reads MALLOC_CONF once, at its first allocation: "key:value,key:value".
std::map<std::string, std::string> environment(const Settings& settings) {
  std::vector<std::string> pairs;
  for (const auto& [k, v] : settings) pairs.push_back(k + ":" + v);
  return {{"MALLOC_CONF", fmt::format("{}", fmt::join(pairs, ","))}};
}

}  // namespace

std::string backend_version() {
  auto version = read_ctl<const char*>("version");
  return version && *version ? jemalloc_version_text(*version) : "unknown";
}

const SettingsSchema& settings_schema() {
  static const SettingsSchema schema{
      {
          {"background_thread", Kind::boolean, 0, 1, {}, "purge unused dirty pages on background threads"},
          {"max_background_threads", Kind::integer, 1, 4096, {}, "upper bound on background purging threads"},
          {"narenas", Kind::integer, 1, 4096, {}, "number of arenas threads are spread over"},
          {"percpu_arena", Kind::choice, 0, 0, {"disabled", "percpu", "phycpu"}, "one arena per CPU"},
          {"dirty_decay_ms", Kind::integer, -1, 1 << 30, {}, "time before unused dirty pages are purged (-1: never)"},
          {"muzzy_decay_ms", Kind::integer, -1, 1 << 30, {}, "time before muzzy pages are released (-1: never)"},
          {"retain", Kind::boolean, 0, 1, {}, "keep virtual memory mapped instead of unmapping it"},
          {"tcache", Kind::boolean, 0, 1, {}, "thread-local caches of small objects"},
          {"tcache_max", Kind::bytes, 0, 8 << 20, {}, "largest size class cached per thread"},
          {"oversize_threshold", Kind::bytes, 0, int64_t{1} << 40, {}, "sizes served from a dedicated arena"},
          {"lg_extent_max_active_fit", Kind::integer, 0, 63, {}, "log2 of the largest extent reuse ratio"},
          {"metadata_thp", Kind::choice, 0, 0, {"disabled", "auto", "always"}, "transparent huge pages for metadata"},
          {"thp", Kind::choice, 0, 0, {"default", "always", "never"}, "transparent huge pages for the heap"},
          {"dss", Kind::choice, 0, 0, {"disabled", "primary", "secondary"}, "use of sbrk() relative to mmap()"},
          {"cache_oblivious", Kind::boolean, 0, 1, {}, "randomise large allocations' cache alignment"},
      },
      environment,
      effective};
  return schema;
}

// The statistics are a snapshot taken at the last epoch: refresh it first.
AllocatorStats allocator_stats() {
  uint64_t epoch = 1;
  size_t len = sizeof epoch;
  ::mallctl("epoch", &epoch, &len, &epoch, len);
  AllocatorStats stats;
  for (auto [key, ctl] : {std::pair{"allocated_bytes", "stats.allocated"}, {"active_bytes", "stats.active"},
                          {"resident_bytes", "stats.resident"}, {"mapped_bytes", "stats.mapped"},
                          {"retained_bytes", "stats.retained"}, {"metadata_bytes", "stats.metadata"}})
    if (auto v = read_ctl<size_t>(ctl)) stats.add(key, static_cast<double>(*v));
  return stats;
}

bool release_free_memory() {
  // MALLCTL_ARENAS_ALL names every arena; purging returns their dirty and muzzy pages.
  static const std::string all = fmt::format("arena.{}.purge", MALLCTL_ARENAS_ALL);
  return ::mallctl(all.c_str(), nullptr, nullptr, nullptr, 0) == 0;
}

bool returns_memory_through_libc() { return true; }

}  // namespace allocbench
