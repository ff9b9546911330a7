#include "driver/backends.hpp"

#include "build_info.hpp"
#include "common/error.hpp"
#include "common/program_file.hpp"
#include "driver/spawn.hpp"

#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <algorithm>
#include <filesystem>

extern char** environ;

namespace allocbench {
namespace {

constexpr std::string_view preload_prefix = "preload:";

std::vector<std::string> built_backends() { return {build_info::backends.begin(), build_info::backends.end()}; }

BackendSpec built(const std::string& name) {
  auto all = built_backends();
  if (std::find(all.begin(), all.end(), name) == all.end())
    throw usage_error("--backend: unknown backend '{}'; built: {} (or NAME:KEY=VALUE,... for one with settings, "
                      "preload:/path/liballoc.so for any other allocator)",
                      name, fmt::join(all, ", "));
  return {name, name, {}, {}, {}};
}

BackendSpec preloaded(const std::string& value) {
  std::string path = value.substr(preload_prefix.size());
  if (path.empty()) throw usage_error("--backend '{}': expected preload:/path/to/liballoc.so", value);
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::is_regular_file(status) || ::access(path.c_str(), R_OK) != 0)
    throw usage_error("--backend '{}': '{}' is not a readable file", value, path);
  std::string absolute = std::filesystem::absolute(path).lexically_normal().string();
  if (absolute.find_first_of(preload_separators) != std::string::npos)
    throw usage_error("--backend '{}': LD_PRELOAD splits its list at blanks and colons, so it cannot load '{}'; link "
                      "or copy the library to a path without them",
                      value, absolute);
  return {value, "system", {}, absolute, {{"LD_PRELOAD", absolute}}};
}

BackendSpec with_settings(const std::string& value) {
  auto colon = value.find(':');
  BackendSpec spec = built(value.substr(0, colon));
  spec.settings = value.substr(colon + 1);
  if (spec.settings.empty()) throw usage_error("--backend '{}': expected NAME:KEY=VALUE,...", value);
  spec.label = value;
  return spec;
}

// Variables through which a user's shell could tune an allocator behind the label's back.
bool configures_an_allocator(std::string_view var) {
  std::string_view name = var.substr(0, var.find('='));
  for (std::string_view prefix : {"MALLOC_", "_RJEM_MALLOC_", "MIMALLOC_", "TCMALLOC_", "ALLOCBENCH_POOL_"})
    if (name.substr(0, prefix.size()) == prefix) return true;
  return name == "GLIBC_TUNABLES" || name == "LD_PRELOAD";
}

// The worker checks the settings and answers with their canonical form and environment.
void resolve(BackendSpec& spec) {
  ProcessOutcome p = run_process({worker_path(spec.worker), "--settings", spec.settings, "--check-settings"},
                                 std::chrono::seconds(30));
  if (p.exit_code == static_cast<int>(ExitCode::bad_input)) {
    std::string message = p.err_tail;
    while (!message.empty() && message.back() == '\n') message.pop_back();
    auto error = message.find("error: ");
    throw usage_error("{}", error == std::string::npos ? message : message.substr(error + 7));
  }
  if (!p.ok()) throw run_error("backend '{}': the worker could not check the settings: {}", spec.label,
                               p.describe_failure());
  auto j = nlohmann::json::parse(p.out, nullptr, false);
  if (j.is_discarded() || !j.contains("settings") || !j.contains("environment"))
    throw run_error("backend '{}': unreadable --check-settings output: {}", spec.label, p.out);
  spec.settings = fmt::format("{}", fmt::join(j["settings"].get<std::vector<std::string>>(), ","));
  spec.label = spec.worker + ":" + spec.settings;
  spec.environment = j["environment"].get<std::map<std::string, std::string>>();
}

void check_distinct(const std::vector<BackendSpec>& specs) {
  for (size_t i = 0; i < specs.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (specs[j].label == specs[i].label) throw usage_error("--backend: '{}' is listed twice", specs[i].label);
}

}  // namespace

std::vector<BackendSpec> parse_backend_specs(const std::vector<std::string>& values) {
  if (values.empty() || (values.size() == 1 && values[0] == "all")) {
    std::vector<BackendSpec> all;
    for (const auto& name : built_backends()) all.push_back(built(name));
    return all;
  }
  std::vector<BackendSpec> specs;
  for (const auto& value : values) {
    bool continues = value.find('=') != std::string::npos && value.find(':') == std::string::npos;
    if (continues) {
      if (specs.empty() || specs.back().settings.empty())
        throw usage_error("--backend: '{}' follows no NAME:KEY=VALUE setting", value);
      specs.back().settings += "," + value;
      specs.back().label += "," + value;
    } else if (value.rfind(preload_prefix, 0) == 0) {
      specs.push_back(preloaded(value));
    } else if (value.find(':') != std::string::npos) {
      specs.push_back(with_settings(value));
    } else {
      specs.push_back(built(value));
    }
  }
  check_distinct(specs);
  return specs;
}

void resolve_settings(std::vector<BackendSpec>& specs) {
  for (auto& spec : specs)
    if (!spec.settings.empty()) resolve(spec);
  check_distinct(specs);
}

std::string worker_path(const std::string& backend) {
  return beside_executable("allocbench-worker-" + backend);
}

std::vector<std::string> worker_environment(const BackendSpec& spec) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e)
    if (!configures_an_allocator(*e)) env.emplace_back(*e);
  for (const auto& [k, v] : spec.environment) env.push_back(k + "=" + v);
  return env;
}

std::vector<std::string> worker_spec_args(const BackendSpec& spec) {
  std::vector<std::string> args;
  if (!spec.settings.empty()) args.insert(args.end(), {"--settings", spec.settings});
  if (!spec.preload.empty())
    args.insert(args.end(), {"--preloaded", std::filesystem::path(spec.preload).filename().string()});
  return args;
}

std::vector<std::string> identify_argv(const BackendSpec& spec) {
  std::vector<std::string> argv{worker_path(spec.worker)};
  for (auto& arg : worker_spec_args(spec)) argv.push_back(std::move(arg));
  argv.push_back("--identify");
  return argv;
}

BackendIdentity identify_backend(const std::string& backend) { return identify_backend(built(backend)); }

BackendIdentity identify_backend(const BackendSpec& spec) {
  BackendIdentity id{spec.label, {}, {}, {}, {}, {}};
  std::vector<std::string> env = worker_environment(spec);
  ProcessOutcome p = run_process(identify_argv(spec), std::chrono::seconds(30), &env);
  if (!p.ok()) {
    id.error = p.describe_failure();
    return id;
  }
  try {
    auto j = nlohmann::json::parse(p.out);
    id.version = j.at("backend_version").get<std::string>();
    id.malloc_provider = j.at("malloc_provider").get<std::string>();
    id.malloc_provider_path = j.at("malloc_provider_path").get<std::string>();
    for (const auto& t : j.at("settings")) id.settings.push_back(t.at("name").get<std::string>());
  } catch (const nlohmann::json::exception& e) {
    id.error = fmt::format("unreadable --identify output: {}", e.what());
  }
  return id;
}

}  // namespace allocbench
