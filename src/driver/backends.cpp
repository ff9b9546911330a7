#include "driver/backends.hpp"

#include "build_info.hpp"
#include "common/error.hpp"
#include "driver/spawn.hpp"

#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>

namespace allocbench {

std::vector<std::string> select_backends(const std::vector<std::string>& spec) {
  std::vector<std::string> all(build_info::backends.begin(), build_info::backends.end());
  if (spec.empty() || (spec.size() == 1 && spec[0] == "all")) return all;
  std::vector<std::string> chosen;
  for (const auto& name : spec) {
    if (std::find(all.begin(), all.end(), name) == all.end())
      throw usage_error("--backend: unknown backend '{}'; built: {}", name, fmt::join(all, ", "));
    if (std::find(chosen.begin(), chosen.end(), name) != chosen.end())
      throw usage_error("--backend: '{}' is listed twice", name);
    chosen.push_back(name);
  }
  return chosen;
}

std::string worker_path(const std::string& backend) {
  static const std::filesystem::path dir = std::filesystem::read_symlink("/proc/self/exe").parent_path();
  return (dir / ("allocbench-worker-" + backend)).string();
}

BackendIdentity identify_backend(const std::string& backend) {
  BackendIdentity id{backend, {}, {}, {}};
  ProcessOutcome p = run_process({worker_path(backend), "--identify"}, std::chrono::seconds(30));
  if (!p.ok()) {
    id.error = p.describe_failure();
    return id;
  }
  try {
    auto j = nlohmann::json::parse(p.out);
    id.version = j.at("backend_version").get<std::string>();
    id.malloc_provider = j.at("malloc_provider").get<std::string>();
  } catch (const nlohmann::json::exception& e) {
    id.error = fmt::format("unreadable --identify output: {}", e.what());
  }
  return id;
}

}  // namespace allocbench
