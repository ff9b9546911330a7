// Workloads that fail on purpose, built only with the tests: they prove that the
// driver reports a crashed, aborted, hung, exhausted or babbling worker and carries on
// with the rest.
#include "workloads/workload.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <thread>
#include <vector>

namespace allocbench {
namespace {

template <typename Fail>
class Faulty final : public Workload {
 public:
  void run() override { Fail{}(); }
  WorkloadOutcome outcome() const override { return {}; }
};

template <typename Fail>
WorkloadInfo faulty(std::string_view name, std::string_view summary) {
  return {name, summary, {}, 1, WorkloadKind::faulty,
          [](const WorkloadConfig&) -> std::unique_ptr<Workload> { return std::make_unique<Faulty<Fail>>(); }};
}

struct Segfault {
  void operator()() const { std::raise(SIGSEGV); }
};
struct Abort {
  void operator()() const {
    std::fputs("test-abort: giving up on purpose\n", stderr);
    std::abort();
  }
};
struct Hang {
  void operator()() const {
    for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
  }
};
// Runs out of memory the way a leaking program does, inside a 256 MiB address-space
// limit of its own, so that the test never endangers the machine.
struct OutOfMemory {
  void operator()() const {
    rlimit limit{256u << 20, 256u << 20};
    ::setrlimit(RLIMIT_AS, &limit);
    std::vector<char*> hoard;
    for (;;) hoard.push_back(new char[1 << 20]());  // std::bad_alloc ends it
  }
};
// Writes over the report channel and exits as if all went well.
struct Garbage {
  void operator()() const {
    std::fputs("{\"backend\": \"sys", stdout);
    std::fflush(stdout);
    std::_Exit(0);
  }
};
struct Silent {
  void operator()() const { std::_Exit(0); }
};
struct ExitCode7 {
  void operator()() const { std::_Exit(7); }
};

}  // namespace

extern const WorkloadInfo test_crash_workload = faulty<Segfault>("test-crash", "dies of SIGSEGV in the measured phase");
extern const WorkloadInfo test_abort_workload = faulty<Abort>("test-abort", "writes to stderr, then aborts");
extern const WorkloadInfo test_hang_workload = faulty<Hang>("test-hang", "never returns");
extern const WorkloadInfo test_oom_workload = faulty<OutOfMemory>("test-oom", "allocates until memory runs out");
extern const WorkloadInfo test_garbage_workload = faulty<Garbage>("test-garbage", "prints half a report, exits 0");
extern const WorkloadInfo test_silent_workload = faulty<Silent>("test-silent", "prints nothing, exits 0");
extern const WorkloadInfo test_exit_workload = faulty<ExitCode7>("test-exit", "exits with code 7");

}  // namespace allocbench
