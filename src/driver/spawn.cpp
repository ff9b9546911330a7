#include "driver/spawn.hpp"

#include "common/error.hpp"
#include "common/last_lines.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fmt/format.h>

namespace allocbench {
namespace {

constexpr size_t stderr_keep = 4096;        // bytes of stderr kept for the failure report
constexpr size_t stdout_limit = 64u << 20;  // a worker report is a few KiB; more is garbage

std::atomic<pid_t> running_child{0};

void read_into(int fd, std::string& buf, bool& open, size_t keep_tail) {
  char chunk[65536];
  ssize_t n = ::read(fd, chunk, sizeof chunk);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n <= 0) {
    open = false;
    return;
  }
  buf.append(chunk, static_cast<size_t>(n));
  if (keep_tail && buf.size() > 2 * keep_tail) buf.erase(0, buf.size() - keep_tail);
}

}  // namespace

std::string ProcessOutcome::describe_failure() const {
  std::string what;
  if (timed_out) what = fmt::format("timed out after {:.1f} s and was killed", seconds);
  else if (signal) what = fmt::format("was killed by signal {} ({})", signal, ::strsignal(signal));
  else what = fmt::format("exited with code {}", exit_code);
  std::string tail = last_lines(err_tail, 8);
  return tail.empty() ? what : fmt::format("{}; its stderr ends with:\n{}", what, tail);
}

ProcessOutcome run_process(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                           const std::vector<std::string>* environment) {
  ALLOCBENCH_CHECK(!argv.empty());
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0)
    throw run_error("cannot create a pipe: {}", std::strerror(errno));

  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char*> env;  // built before fork: the child only calls async-signal-safe functions
  if (environment) {
    for (const auto& e : *environment) env.push_back(const_cast<char*>(e.c_str()));
    env.push_back(nullptr);
  }

  auto start = std::chrono::steady_clock::now();
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) throw run_error("cannot start '{}': {}", argv[0], std::strerror(errno));
  if (pid == 0) {
    // Own process group, so that a timeout kills whatever the worker started too; and
    // death with the driver, even a SIGKILLed one, so that no worker is ever orphaned.
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the driver died before prctl took effect
    ::dup2(out_pipe[1], STDOUT_FILENO);
    ::dup2(err_pipe[1], STDERR_FILENO);
    if (environment) ::execvpe(args[0], args.data(), env.data());
    else ::execvp(args[0], args.data());
    std::string msg = fmt::format("cannot execute '{}': {}\n", argv[0], std::strerror(errno));
    (void)!::write(STDERR_FILENO, msg.data(), msg.size());
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also here: no race with a kill before the child ran setpgid
  running_child.store(pid);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);

  ProcessOutcome result;
  // The worker's end is watched through a pidfd, not through its pipes: a worker that
  // closed its output and hangs must still meet its deadline. Without pidfds (before
  // Linux 5.3) its state is polled.
  auto pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));  // glibc 2.36's wrapper is C-only
  auto has_exited = [&] {
    siginfo_t info{};
    return ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid;
  };
  bool out_open = true, err_open = true, exited = false, group_killed = false;
  auto deadline = start + timeout;
  std::chrono::steady_clock::time_point killed_at;
  while (!exited || out_open || err_open) {
    auto now = std::chrono::steady_clock::now();
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    if (!result.timed_out && left.count() <= 0) {
      result.timed_out = true;
      ::kill(-pid, SIGKILL);
      killed_at = now;
    }
    if (exited && !group_killed) {  // what the worker left in its group must not hold the pipes open
      ::kill(-pid, SIGKILL);
      group_killed = true;
      killed_at = now;
    }
    // Pipes still open a second after everything in the group was killed: something that
    // left the group holds them. Stop reading; the worker itself is dead.
    if (exited && now - killed_at > std::chrono::seconds(1)) break;
    int wait_ms = result.timed_out || exited ? 100 : static_cast<int>(std::min<long long>(left.count(), 1000));
    if (pidfd < 0) wait_ms = std::min(wait_ms, 20);
    pollfd fds[3] = {{out_open ? out_pipe[0] : -1, POLLIN, 0},
                     {err_open ? err_pipe[0] : -1, POLLIN, 0},
                     {exited ? -1 : pidfd, POLLIN, 0}};
    if (::poll(fds, 3, wait_ms) < 0 && errno != EINTR) break;
    if (fds[0].revents) read_into(out_pipe[0], result.out, out_open, 0);
    if (fds[1].revents) read_into(err_pipe[0], result.err_tail, err_open, stderr_keep);
    if (!exited) exited = pidfd >= 0 ? fds[2].revents != 0 : has_exited();
    if (result.out.size() > stdout_limit && !result.timed_out && !group_killed) {
      ::kill(-pid, SIGKILL);
      result.err_tail += "\n(allocbench: the worker wrote more than 64 MiB to stdout and was killed)";
      out_open = false;
    }
  }
  ::close(out_pipe[0]);
  ::close(err_pipe[0]);
  if (pidfd >= 0) ::close(pidfd);

  // Wait without reaping: the zombie keeps its process group id reserved while we kill
  // whatever the worker left running in that group.
  siginfo_t info{};
  while (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT) < 0 && errno == EINTR) {
  }
  ::kill(-pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  running_child.store(0);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status) && !result.timed_out) result.signal = WTERMSIG(status);
  return result;
}

ProcessOutcome run_attached(const std::vector<std::string>& argv, const std::vector<std::string>& environment) {
  ALLOCBENCH_CHECK(!argv.empty());
  std::vector<char*> args, env;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  for (const auto& e : environment) env.push_back(const_cast<char*>(e.c_str()));
  args.push_back(nullptr);
  env.push_back(nullptr);
  auto start = std::chrono::steady_clock::now();
  pid_t pid = 0;
  if (int rc = ::posix_spawnp(&pid, args[0], nullptr, nullptr, args.data(), env.data()); rc != 0)
    throw run_error("cannot start '{}': {}", argv[0], std::strerror(rc));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  ProcessOutcome result;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  return result;
}

void kill_running_child() noexcept {
  if (pid_t pid = running_child.load()) ::kill(-pid, SIGKILL);
}

}  // namespace allocbench
