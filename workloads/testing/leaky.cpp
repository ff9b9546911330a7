// A workload that leaks on purpose, built only with the tests: --leaks must name
// leak_on_purpose as the site of what is still live at the end, and nothing else.
#include "workloads/workload.hpp"

#include <vector>

namespace allocbench {
namespace {

constexpr int leaked_objects = 64;
constexpr size_t leaked_size = 96;

// The compiler may drop an allocation nobody can see; this one escapes.
char* volatile last_leaked = nullptr;

// Never inlined, and no tail call: the site the leak report must name.
[[gnu::noinline]] void leak_on_purpose(size_t size) {
  char* p = static_cast<char*>(::operator new(size));
  p[0] = 1;
  last_leaked = p;
}

class Leaky final : public Workload {
 public:
  void run() override {
    std::vector<std::vector<char>> freed_properly(100, std::vector<char>(200));
    for (int i = 0; i < leaked_objects; ++i) {
      leak_on_purpose(leaked_size);
      ++ops_;
    }
  }
  WorkloadOutcome outcome() const override { return {ops_, ops_, {}}; }

 private:
  uint64_t ops_ = 0;
};

}  // namespace

extern const WorkloadInfo test_leak_workload{
    "test-leak", "leaks 64 objects of 96 bytes from leak_on_purpose()", {}, 1, WorkloadKind::faulty,
    [](const WorkloadConfig&) -> std::unique_ptr<Workload> { return std::make_unique<Leaky>(); }};

}  // namespace allocbench
