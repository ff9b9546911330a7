// Backend `mimalloc`: Microsoft's mimalloc (free-list sharding, per-page free lists).
#include "worker/backend.hpp"
#include "worker/identity.hpp"
#include "worker/settings.hpp"

#include <mimalloc.h>

namespace allocbench {
namespace {

using Kind = SettingSpec::Kind;

// The options of mimalloc 2.0, in the order of its mi_option_t; each key is
// mimalloc's own name, read from MIMALLOC_<KEY> at start-up.
struct MiOption {
  mi_option_t id;
  SettingSpec spec;
};

const std::vector<MiOption>& mi_options() {
  constexpr int64_t max_long = std::numeric_limits<long>::max();
  static const std::vector<MiOption> options{
      {mi_option_eager_commit, {"eager_commit", Kind::boolean, 0, 1, {}, "commit segments eagerly"}},
      {mi_option_large_os_pages, {"large_os_pages", Kind::boolean, 0, 1, {}, "use 2 MiB OS pages"}},
      {mi_option_reserve_huge_os_pages, {"reserve_huge_os_pages", Kind::integer, 0, 1 << 20, {}, "1 GiB pages to reserve at start"}},
      {mi_option_reserve_os_memory, {"reserve_os_memory", Kind::integer, 0, max_long, {}, "KiB of OS memory to reserve at start"}},
      {mi_option_page_reset, {"page_reset", Kind::boolean, 0, 1, {}, "reset (madvise) free pages"}},
      {mi_option_abandoned_page_decommit, {"abandoned_page_decommit", Kind::boolean, 0, 1, {}, "decommit free pages of exited threads"}},
      {mi_option_eager_commit_delay, {"eager_commit_delay", Kind::integer, 0, max_long, {}, "segments committed lazily first"}},
      {mi_option_decommit_delay, {"decommit_delay", Kind::integer, 0, max_long, {}, "milliseconds before free memory is decommitted"}},
      {mi_option_use_numa_nodes, {"use_numa_nodes", Kind::integer, 0, max_long, {}, "NUMA nodes to use (0: all)"}},
      {mi_option_max_segment_reclaim, {"max_segment_reclaim", Kind::integer, 0, max_long, {}, "abandoned segments reclaimed per allocation"}},
      {mi_option_allow_decommit, {"allow_decommit", Kind::boolean, 0, 1, {}, "return memory to the OS"}},
      {mi_option_segment_decommit_delay, {"segment_decommit_delay", Kind::integer, 0, max_long, {}, "milliseconds before free segments are decommitted"}},
      {mi_option_decommit_extend_delay, {"decommit_extend_delay", Kind::integer, 0, max_long, {}, "extra decommit delay per use"}},
  };
  return options;
}

std::optional<std::string> effective(const SettingSpec& o) {
  for (const auto& m : mi_options())
    if (m.spec.name == o.name) return canonical_value(o, ::mi_option_get(m.id));
  return std::nullopt;
}


}  // namespace

std::string backend_version() { return mimalloc_version_text(::mi_version()); }

const SettingsSchema& settings_schema() {
  static const SettingsSchema schema = [] {
    SettingsSchema t{{}, [](const Settings& s) { return variable_per_setting("MIMALLOC_", s); }, effective};
    for (const auto& m : mi_options()) t.specs.push_back(m.spec);
    return t;
  }();
  return schema;
}

// mimalloc keeps detailed statistics only in debug builds; its process info (what it
// has committed from the OS) is always there. Its "current RSS" on Linux is that same
// commit figure, so it is not reported as resident.
AllocatorStats allocator_stats() {
  size_t elapsed = 0, user = 0, sys = 0, rss = 0, peak_rss = 0, commit = 0, peak_commit = 0, faults = 0;
  ::mi_process_info(&elapsed, &user, &sys, &rss, &peak_rss, &commit, &peak_commit, &faults);
  AllocatorStats stats;
  stats.add("committed_bytes", static_cast<double>(commit));
  stats.add("peak_committed_bytes", static_cast<double>(peak_commit));
  return stats;
}

bool release_free_memory() {
  ::mi_collect(true);  // this thread's heap and the abandoned ones, forced
  return true;
}

bool returns_memory_through_libc() { return true; }

}  // namespace allocbench
