// Errors a user can act on, and the one place their categories become exit codes.
#pragma once

#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace allocbench {

// The exit codes of the CLI contract (DESIGN.md).
enum class ExitCode : int {
  ok = 0,
  regression = 1,
  bad_input = 2,  // bad usage or bad input file
  run_failed = 3, // a worker crashed, timed out, or a backend is unavailable
};

class Error : public std::runtime_error {
 public:
  Error(ExitCode code, std::string message) : std::runtime_error(std::move(message)), code_(code) {}
  ExitCode code() const { return code_; }

 private:
  ExitCode code_;
};

// Bad flag, value or input file: names what was wrong and what was expected.
template <typename... Args>
Error usage_error(fmt::format_string<Args...> f, Args&&... args) {
  return Error(ExitCode::bad_input, fmt::format(f, std::forward<Args>(args)...));
}

template <typename... Args>
Error run_error(fmt::format_string<Args...> f, Args&&... args) {
  return Error(ExitCode::run_failed, fmt::format(f, std::forward<Args>(args)...));
}

// Internal invariant: a broken one is a bug in allocbench, not in the user's input.
[[noreturn]] void check_failed(const char* expr, const char* file, int line);

}  // namespace allocbench

#define ALLOCBENCH_CHECK(expr) \
  ((expr) ? void(0) : ::allocbench::check_failed(#expr, __FILE__, __LINE__))
