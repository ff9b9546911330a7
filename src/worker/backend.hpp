// What each src/backends/<name>.cpp defines for its allocator: its version, the
// settings it accepts as `--backend NAME:KEY=VALUE,...`, and its own statistics.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace allocbench {

// The backend's name ("jemalloc"), and the file name prefix of the shared object that
// must provide malloc in its worker ("libjemalloc"): from CMake (allocbench_add_backend).
std::string_view backend_name();
std::string_view expected_provider();

// The allocator's version as it reports it.
std::string backend_version();

// One setting of an allocator, as the user names it after `NAME:`.
struct SettingSpec {
  enum class Kind { boolean, integer, bytes, choice };
  std::string_view name;
  Kind kind;
  int64_t min = 0;                             // integer, bytes
  int64_t max = std::numeric_limits<int64_t>::max();
  std::vector<std::string_view> choices = {};  // choice
  std::string_view help = {};
  int64_t multiple_of = 1;                     // integer, bytes
};

// Validated settings in canonical form ("true"/"false", plain integers), sorted by key.
using Settings = std::vector<std::pair<std::string, std::string>>;

struct SettingsSchema {
  std::vector<SettingSpec> specs;
  // The environment variables that carry `settings` to the allocator at its start.
  std::map<std::string, std::string> (*environment)(const Settings& settings);
  // The value in effect, canonical; nullopt where the allocator cannot tell.
  std::optional<std::string> (*effective)(const SettingSpec& spec);
};

const SettingsSchema& settings_schema();

// The allocator's own view of its memory, read at the end of the measured phase.
// Names shared by backends where they mean the same: allocated_bytes (held by the
// program, size classes included), resident_bytes, mapped_bytes. A fixed array, so
// that reading them allocates nothing the counting wrapper would see.
struct AllocatorStat {
  std::string_view name;
  double value = 0;
};
struct AllocatorStats {
  std::array<AllocatorStat, 10> items{};
  size_t size = 0;
  void add(std::string_view name, double value) {
    if (size < items.size()) items[size++] = {name, value};
  }
};
AllocatorStats allocator_stats();

// The allocator's own "give free memory back to the system now" (run --idle-purge):
// malloc_trim(0), jemalloc's arena.<all>.purge, mi_collect(true), tcmalloc's
// ReleaseFreeMemory. False where the allocator has none.
bool release_free_memory();

// Whether the allocator returns memory through libc's madvise, munmap and mremap, which
// the worker counts (worker/memory_syscalls.hpp): false for glibc's malloc, which calls
// its internal __madvise and __munmap.
bool returns_memory_through_libc();

}  // namespace allocbench
