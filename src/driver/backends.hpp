// The backends compiled into this build, the settings --backend can give them, where
// their workers are, and what they are.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace allocbench {

// A backend as --backend names it: a built allocator ("jemalloc"), one with settings
// ("jemalloc:background_thread=true,narenas=2"), or any allocator library loaded into
// the system worker with LD_PRELOAD ("preload:/path/liballoc.so").
// Where LD_PRELOAD splits its list of libraries: no path preloaded may hold one.
inline constexpr const char* preload_separators = " \t:";

struct BackendSpec {
  std::string label;     // how reports, baselines and verdicts name it
  std::string worker;    // the built backend whose worker runs it
  std::string settings;  // "K=V,...", canonical and sorted once the worker checked them
  std::string preload;   // the allocator library, for preload:
  std::map<std::string, std::string> environment;  // what carries the settings to the allocator
};

// --backend values, already split at commas: names, "all", NAME:K=V (a K=V value
// after a comma continues the settings before it) and preload:PATH. Checks syntax,
// names, files and that no backend is listed twice; starts no process.
std::vector<BackendSpec> parse_backend_specs(const std::vector<std::string>& values);

// Each backend's settings checked by its worker (a real process) and put in canonical
// form: unknown settings and bad values are usage errors that list the valid ones, and
// two specs that are the same once canonical are one listed twice.
void resolve_settings(std::vector<BackendSpec>& specs);

// The worker executable of a built backend: beside the allocbench executable.
std::string worker_path(const std::string& backend);

// The worker's environment: the driver's, less every variable that configures an
// allocator (so that "jemalloc" means jemalloc's defaults), plus the spec's own.
std::vector<std::string> worker_environment(const BackendSpec& spec);

// The worker's flags that carry the spec: --settings and --preloaded.
std::vector<std::string> worker_spec_args(const BackendSpec& spec);

struct BackendIdentity {
  std::string name;
  std::string version;
  std::string malloc_provider;
  std::string malloc_provider_path;   // as the worker's dynamic linker loaded it
  std::vector<std::string> settings;  // the setting names NAME:K=V accepts
  std::string error;                  // non-empty when the worker could not identify itself
};

// Asks the backend's worker (a real process) for its version and malloc provider.
BackendIdentity identify_backend(const std::string& backend);
// The same for a spec: its settings and a preloaded library's environment included.
BackendIdentity identify_backend(const BackendSpec& spec);

// The command line that makes the spec's worker identify itself.
std::vector<std::string> identify_argv(const BackendSpec& spec);

}  // namespace allocbench
