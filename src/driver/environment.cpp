#include "driver/environment.hpp"

#include "build_info.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <thread>

namespace allocbench {
namespace {

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(" \t", colon + 1));
    }
  }
  return "unknown";
}

}  // namespace

Environment current_environment() {
  Environment e;
  char host[256] = {};
  e.host = ::gethostname(host, sizeof host - 1) == 0 ? host : "unknown";
  e.cpu = cpu_model();
  e.cores = std::thread::hardware_concurrency();
  utsname u{};
  e.kernel = ::uname(&u) == 0 ? std::string(u.sysname) + " " + u.release : "unknown";
  e.compiler = build_info::compiler;
  e.build_type = build_info::build_type;
  if (!build_info::sanitize.empty()) e.build_type += "+" + std::string(build_info::sanitize);
  e.allocbench_version = build_info::version;
  e.git_commit = build_info::git_commit;
  return e;
}

}  // namespace allocbench
