#include "common/cpu_info.hpp"

#include <cpuid.h>

#include <filesystem>
#include <fstream>

namespace allocbench {
namespace {

std::string first_line(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  return line;
}

// "0-3,8" → 5
int cpus_in_list(const std::string& list) {
  int count = 0;
  for (size_t start = 0; start < list.size();) {
    size_t end = std::min(list.find(',', start), list.size());
    std::string range = list.substr(start, end - start);
    size_t dash = range.find('-');
    count += dash == std::string::npos ? 1 : std::stoi(range.substr(dash + 1)) - std::stoi(range.substr(0, dash)) + 1;
    start = end + 1;
  }
  return count;
}

}  // namespace

std::string cpuinfo_field(std::string_view key) {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (!line.starts_with(key)) continue;
    auto colon = line.find(':');
    auto value = colon == std::string::npos ? std::string::npos : line.find_first_not_of(" \t", colon + 1);
    if (value != std::string::npos) return line.substr(value);
  }
  return {};
}

bool invariant_tsc() {
  unsigned a, b, c, d;
  if (!__get_cpuid(0x80000007, &a, &b, &c, &d)) return false;
  return (d >> 8) & 1;
}

std::vector<CpuCache> cpu_caches() {
  std::vector<CpuCache> caches;
  std::error_code ec;
  for (int i = 0;; ++i) {
    std::filesystem::path dir = "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(i);
    if (!std::filesystem::exists(dir, ec)) break;
    try {
      std::string size = first_line(dir / "size");  // "48K", "2048K", "32M"
      long long bytes = std::stoll(size);
      if (size.ends_with('K')) bytes <<= 10;
      if (size.ends_with('M')) bytes <<= 20;
      caches.push_back({first_line(dir / "type"), std::stoi(first_line(dir / "level")), bytes,
                        cpus_in_list(first_line(dir / "shared_cpu_list"))});
    } catch (const std::exception&) {  // a file missing or unreadable: that cache is not described
    }
  }
  return caches;
}

}  // namespace allocbench
