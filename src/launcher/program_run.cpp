#include "launcher/program_run.hpp"

#include "common/error.hpp"
#include "common/last_lines.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <algorithm>

namespace allocbench {
namespace {

int64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

int64_t ns_of(const timeval& tv) { return static_cast<int64_t>(tv.tv_sec) * 1'000'000'000 + tv.tv_usec * 1000; }

// Resident bytes of a running process, or -1 once it is gone.
int64_t rss_of(int pid) {
  std::ifstream statm("/proc/" + std::to_string(pid) + "/statm");
  int64_t size = 0, resident = -1;
  if (!(statm >> size >> resident)) return -1;
  return resident * sysconf(_SC_PAGESIZE);
}

class SpawnActions {
 public:
  SpawnActions() { posix_spawn_file_actions_init(&actions_); }
  ~SpawnActions() { posix_spawn_file_actions_destroy(&actions_); }
  SpawnActions(const SpawnActions&) = delete;
  SpawnActions& operator=(const SpawnActions&) = delete;
  void open(int fd, const std::string& path, int flags) {
    posix_spawn_file_actions_addopen(&actions_, fd, path.c_str(), flags, 0644);
  }
  const posix_spawn_file_actions_t* get() const { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_;
};

}  // namespace

ProgramRun run_program(const std::vector<std::string>& argv, const std::vector<std::string>& environment,
                       const std::string& stdout_file, const std::string& stderr_file, int64_t sample_ns) {
  std::vector<char*> args, env;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  for (const auto& e : environment) env.push_back(const_cast<char*>(e.c_str()));
  args.push_back(nullptr);
  env.push_back(nullptr);
  SpawnActions actions;
  actions.open(STDIN_FILENO, "/dev/null", O_RDONLY);
  actions.open(STDOUT_FILENO, stdout_file, O_WRONLY | O_CREAT | O_TRUNC);
  actions.open(STDERR_FILENO, stderr_file, O_WRONLY | O_CREAT | O_TRUNC);

  ProgramRun run;
  int64_t start = now_ns();
  pid_t pid = 0;
  if (int rc = posix_spawnp(&pid, args[0], actions.get(), nullptr, args.data(), env.data()); rc != 0)
    throw run_error("cannot start '{}': {}", argv[0], std::strerror(rc));
  run.pid = pid;
  // Between samples the launcher waits on a pidfd, which wakes it the moment the program
  // ends: the wall time is not rounded up to the next sample.
  int pidfd = sample_ns > 0 ? static_cast<int>(syscall(SYS_pidfd_open, pid, 0)) : -1;
  int64_t end = 0;
  for (;;) {  // until it exits; WNOWAIT leaves it a zombie, whose name can still be read
    siginfo_t info{};
    int rc = waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT | (sample_ns > 0 ? WNOHANG : 0));
    if (rc == 0 && info.si_pid == pid) break;
    if (rc < 0 && errno != EINTR) throw run_error("cannot wait for '{}': {}", argv[0], std::strerror(errno));
    if (rc == 0) {  // still running: a timeline sample, then a wait until the next one is due
      int64_t t = now_ns() - start;
      if (int64_t rss = rss_of(pid); rss >= 0) {
        run.t_ms.push_back(static_cast<double>(t) / 1e6);
        run.rss_bytes.push_back(static_cast<double>(rss));
      }
      int64_t next = (t / sample_ns + 1) * sample_ns - (now_ns() - start);
      if (next <= 0) continue;
      if (pidfd >= 0) {
        pollfd ended{pidfd, POLLIN, 0};
        if (poll(&ended, 1, static_cast<int>((next + 999'999) / 1'000'000)) > 0) end = now_ns();
      } else {
        timespec pause{next / 1'000'000'000, next % 1'000'000'000};
        nanosleep(&pause, nullptr);
      }
    }
  }
  run.wall_ns = (end ? end : now_ns()) - start;
  if (pidfd >= 0) close(pidfd);
  std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
  if (std::string name; std::getline(comm, name)) run.final_image = "'" + name + "'";
  int status = 0;
  rusage usage{};
  for (;;) {
    if (wait4(pid, &status, 0, &usage) == pid) break;
    if (errno != EINTR) throw run_error("cannot collect '{}' after its exit: {}", argv[0], std::strerror(errno));
  }
  if (WIFEXITED(status)) run.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) run.signal = WTERMSIG(status);
  run.cpu_user_ns = ns_of(usage.ru_utime);
  run.cpu_sys_ns = ns_of(usage.ru_stime);
  run.peak_rss_bytes = static_cast<int64_t>(usage.ru_maxrss) * 1024;
  run.minor_faults = usage.ru_minflt;
  run.major_faults = usage.ru_majflt;
  run.ctx_switches_vol = usage.ru_nvcsw;
  run.ctx_switches_invol = usage.ru_nivcsw;
  return run;
}

std::string tail_of_file(const std::string& path, size_t lines) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  std::streamoff size = in.tellg();
  if (size <= 0) return {};
  std::streamoff from = std::max<std::streamoff>(0, size - 4096);
  in.seekg(from);
  std::string text(static_cast<size_t>(size - from), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  return last_lines(std::move(text), lines);
}

}  // namespace allocbench
