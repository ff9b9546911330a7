#include "driver/symbolize.hpp"

#include "driver/spawn.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <map>
#include <sstream>

namespace allocbench {
namespace {

// Where a workload's stack enters the worker's harness: frames from here on are
// the same for every site.
constexpr std::string_view harness_function = "(anonymous namespace)::run_once";

// "ns::f(int, char const*) const" → "ns::f": the parameter list is noise in a report.
std::string without_parameters(std::string name) {
  size_t end = name.rfind(')');
  if (end == std::string::npos) return name;
  int depth = 0;
  for (size_t i = end + 1; i-- > 0;) {
    if (name[i] == ')') ++depth;
    if (name[i] == '(' && --depth == 0) return name.substr(0, i);
  }
  return name;
}

// One addr2line per module: two lines (function, file:line) per address.
std::map<std::string, std::string> names_in(const std::string& module, const std::vector<std::string>& offsets) {
  std::vector<std::string> argv{"addr2line", "-f", "-C", "-e", module};
  argv.insert(argv.end(), offsets.begin(), offsets.end());
  std::map<std::string, std::string> names;
  ProcessOutcome p = run_process(argv, std::chrono::seconds(30));
  if (!p.ok()) return names;
  std::istringstream out(p.out);
  std::string function, place;
  for (const auto& offset : offsets) {
    if (!std::getline(out, function) || !std::getline(out, place)) break;
    if (function == "??") continue;
    std::string where = place.substr(0, place.find(' '));  // drop "(discriminator N)"
    std::string file = std::filesystem::path(where).filename().string();
    names[offset] = file.rfind("??", 0) == 0 ? without_parameters(function)
                                             : fmt::format("{} ({})", without_parameters(function), file);
  }
  return names;
}

}  // namespace

std::vector<std::string> symbolize(const std::vector<std::string>& frames) {
  auto split = [](const std::string& frame) {
    size_t plus = frame.rfind('+');
    return plus == std::string::npos ? std::pair(frame, std::string()) : std::pair(frame.substr(0, plus), frame.substr(plus + 1));
  };
  std::map<std::string, std::vector<std::string>> by_module;
  for (const auto& f : frames) {
    auto [module, offset] = split(f);
    by_module[module].push_back(offset);
  }
  std::map<std::string, std::map<std::string, std::string>> names;
  for (const auto& [module, offsets] : by_module) names[module] = names_in(module, offsets);

  std::vector<std::string> stack;
  for (const auto& f : frames) {
    auto [module, offset] = split(f);
    auto it = names[module].find(offset);
    std::string name = it != names[module].end()
                           ? it->second
                           : fmt::format("{}+{}", std::filesystem::path(module).filename().string(), offset);
    if (name.find(harness_function) != std::string::npos) break;
    stack.push_back(name);
  }
  return stack;
}

}  // namespace allocbench
