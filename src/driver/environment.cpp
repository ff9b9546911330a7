#include "driver/environment.hpp"

#include "build_info.hpp"
#include "common/cpu_info.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <thread>

namespace allocbench {

Environment current_environment() {
  Environment e;
  char host[256] = {};
  e.host = ::gethostname(host, sizeof host - 1) == 0 ? host : "unknown";
  e.cpu = cpuinfo_field("model name");
  if (e.cpu.empty()) e.cpu = "unknown";
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
