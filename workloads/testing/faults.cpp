// Workloads that fail on purpose, built only with the tests: they prove that the
// driver reports a crashed, aborted or hung worker and carries on with the rest.
#include "workloads/workload.hpp"

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <thread>

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
  return {name, summary, {}, 1, WorkloadKind::test,
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

}  // namespace

extern const WorkloadInfo test_crash_workload = faulty<Segfault>("test-crash", "dies of SIGSEGV in the measured phase");
extern const WorkloadInfo test_abort_workload = faulty<Abort>("test-abort", "writes to stderr, then aborts");
extern const WorkloadInfo test_hang_workload = faulty<Hang>("test-hang", "never returns");

}  // namespace allocbench
