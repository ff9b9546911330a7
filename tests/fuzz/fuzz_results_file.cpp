// libFuzzer target: the results/baseline reader must turn any bytes into either Results
// or a usage error; a crash, a hang, another exception or a sanitizer report is a bug.
#include "common/error.hpp"
#include "results/results_file.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    allocbench::parse_results_text(std::string(reinterpret_cast<const char*>(data), size), "fuzz.json", "baseline");
  } catch (const allocbench::Error& e) {
    if (e.code() != allocbench::ExitCode::bad_input) __builtin_trap();
  }
  return 0;
}
