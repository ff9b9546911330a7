// The one table of workloads. Adding a workload: its file, and one line here.
#include "workloads/workload.hpp"

#include "common/error.hpp"
#include "workloads/command.hpp"

#include <fmt/ranges.h>

#include <algorithm>

namespace allocbench {

extern const WorkloadInfo small_object_churn_workload;
extern const WorkloadInfo connection_pool_workload;
extern const WorkloadInfo pool_contention_workload;
extern const WorkloadInfo fragmentation_workload;
extern const WorkloadInfo empty_workload;
#ifdef ALLOCBENCH_TEST_WORKLOADS
extern const WorkloadInfo test_crash_workload;
extern const WorkloadInfo test_abort_workload;
extern const WorkloadInfo test_hang_workload;
extern const WorkloadInfo test_slowdown_workload;
extern const WorkloadInfo test_oom_workload;
extern const WorkloadInfo test_garbage_workload;
extern const WorkloadInfo test_silent_workload;
extern const WorkloadInfo test_exit_workload;
extern const WorkloadInfo test_leak_workload;
extern const WorkloadInfo test_stack_workload;
#endif

const std::vector<const WorkloadInfo*>& all_workloads() {
  static const std::vector<const WorkloadInfo*> table{
      &small_object_churn_workload,
      &connection_pool_workload,
      &pool_contention_workload,
      &fragmentation_workload,
      &empty_workload,
#ifdef ALLOCBENCH_TEST_WORKLOADS
      &test_crash_workload,
      &test_abort_workload,
      &test_hang_workload,
      &test_slowdown_workload,
      &test_oom_workload,
      &test_garbage_workload,
      &test_silent_workload,
      &test_exit_workload,
      &test_leak_workload,
      &test_stack_workload,
#endif
  };
  return table;
}

std::string_view to_string(WorkloadKind kind) {
  switch (kind) {
    case WorkloadKind::standard: return "standard";
    case WorkloadKind::calibration: return "calibration";
    case WorkloadKind::example: return "example";
    case WorkloadKind::faulty: return "faulty";
    case WorkloadKind::trace: return "trace";
    case WorkloadKind::command: return "command";
    case WorkloadKind::profile: return "profile";
  }
  return "?";
}

const WorkloadInfo& find_workload(std::string_view name) {
  if (name.starts_with("trace:")) return trace_workload(name);
  if (name.starts_with("profile:")) return profile_workload(name);
  if (name.starts_with(command_prefix)) return command_workload(name);
  for (const auto* w : all_workloads())
    if (w->name == name) return *w;
  std::vector<std::string_view> known;
  for (const auto* w : all_workloads())
    if (w->kind != WorkloadKind::faulty && w->kind != WorkloadKind::example) known.push_back(w->name);
  throw usage_error("--workload: unknown workload '{}'; known: {}, trace:FILE, profile:FILE, 'cmd:PROGRAM ARGS'", name, fmt::join(known, ", "));
}

unsigned resolve_threads(const WorkloadInfo& info, unsigned requested, unsigned cores) {
  if (info.kind == WorkloadKind::command || info.kind == WorkloadKind::trace) return 0;
  if (requested && info.kind != WorkloadKind::profile) return requested;
  return info.default_threads ? info.default_threads : std::max(2u, cores);
}

}  // namespace allocbench
