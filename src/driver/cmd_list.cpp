// allocbench list: the backends built (with the version and malloc provider their
// workers report) and the workloads with their parameters.
#include "common/error.hpp"
#include "driver/backends.hpp"
#include "driver/commands.hpp"
#include "workloads/workload.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <memory>

namespace allocbench {
namespace {

struct ListOptions {
  std::string format = "table";
};

// Test-only workloads are never listed, but for the example one to the tests, which run
// every listed workload (ALLOCBENCH_LIST_EXAMPLE=1; only builds with the tests have one).
bool listed(const WorkloadInfo& w) {
  if (w.kind == WorkloadKind::faulty) return false;
  if (w.kind != WorkloadKind::example) return true;
  const char* example = std::getenv("ALLOCBENCH_LIST_EXAMPLE");
  return example && std::string_view(example) == "1";
}

nlohmann::json workloads_json() {
  nlohmann::json list = nlohmann::json::array();
  for (const auto* w : all_workloads()) {
    if (!listed(*w)) continue;
    nlohmann::json params = nlohmann::json::array();
    for (const auto& p : w->params)
      params.push_back({{"name", p.name}, {"type", to_string(p.type)}, {"default", p.default_value},
                        {"min", p.min}, {"max", p.max}, {"help", p.help}});
    list.push_back({{"name", w->name},
                    {"summary", w->summary},
                    {"kind", to_string(w->kind)},
                    {"in_all", w->kind == WorkloadKind::standard},
                    {"default_threads", w->default_threads ? fmt::format("{}", w->default_threads)
                                                           : std::string("all cores, at least 2")},
                    {"params", params},
                    {"small_params", w->small_params}});
  }
  return list;
}

std::string as_table(const std::vector<BackendIdentity>& backends, const nlohmann::json& workloads) {
  std::string out = "backends\n";
  out += fmt::format("  {:<10} {:<9} {}\n", "name", "version", "malloc provider");
  for (const auto& b : backends)
    out += b.error.empty() ? fmt::format("  {:<10} {:<9} {}\n", b.name, b.version, b.malloc_provider)
                           : fmt::format("  {:<10} unavailable: {}\n", b.name, b.error);
  out += "\nsettings (--backend NAME:KEY=VALUE,...)\n";
  for (const auto& b : backends)
    if (b.error.empty()) out += fmt::format("  {:<10} {}\n", b.name, fmt::join(b.settings, ", "));
  out += "  preload:/path/to/liballoc.so runs any allocator library in the system worker\n";
  out += "\nworkloads (set a parameter with --param WORKLOAD.NAME=VALUE)\n";
  for (const auto& w : workloads) {
    out += fmt::format("  {}: {}\n    threads: {}{}\n", w["name"].get<std::string>(), w["summary"].get<std::string>(),
                       w["default_threads"].get<std::string>(),
                       w["in_all"].get<bool>() ? "" : "; not part of --workload all");
    for (const auto& p : w["params"])
      out += fmt::format("    {:<15} {:<6} default {:<10} range {}..{}  {}\n", p["name"].get<std::string>(),
                         p["type"].get<std::string>(), p["default"].get<int64_t>(), p["min"].get<int64_t>(),
                         p["max"].get<int64_t>(), p["help"].get<std::string>());
  }
  return out;
}

int run_list(const ListOptions& o) {
  std::vector<BackendIdentity> backends;
  for (const auto& spec : parse_backend_specs({"all"})) backends.push_back(identify_backend(spec.worker));
  nlohmann::json workloads = workloads_json();
  if (o.format == "json") {
    nlohmann::json b = nlohmann::json::array();
    for (const auto& id : backends) {
      nlohmann::json entry = {{"name", id.name},
                              {"version", id.version},
                              {"malloc_provider", id.malloc_provider},
                              {"settings", id.settings}};
      if (!id.error.empty()) entry["error"] = id.error;
      b.push_back(entry);
    }
    fmt::print("{}\n", nlohmann::json{{"backends", b}, {"workloads", workloads}}.dump(2));
  } else {
    fmt::print("{}", as_table(backends, workloads));
  }
  bool unavailable = std::any_of(backends.begin(), backends.end(), [](auto& b) { return !b.error.empty(); });
  return static_cast<int>(unavailable ? ExitCode::run_failed : ExitCode::ok);
}

}  // namespace

void setup_list(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("list", "List the backends built into this allocbench and the workloads.");
  auto opt = std::make_shared<ListOptions>();
  cmd->add_option("--format", opt->format, "Output format: table or json (default: table).")
      ->check(CLI::IsMember({"table", "json"}));
  cmd->callback([opt, &exit_code] { exit_code = run_list(*opt); });
}

}  // namespace allocbench
