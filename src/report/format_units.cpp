#include "report/format_units.hpp"

#include <fmt/format.h>

#include <cmath>

namespace allocbench {
namespace {

// Three significant digits: enough to compare, few enough to read at a glance.
std::string scaled(double v, const char* const* units, int count, double step, const char* sep) {
  int i = 0;
  while (i + 1 < count && std::fabs(v) >= step * 0.9995) {
    v /= step;
    ++i;
  }
  int decimals = i == 0 && step == 1024 ? 0 : (std::fabs(v) < 9.995 ? 2 : std::fabs(v) < 99.95 ? 1 : 0);
  return fmt::format("{:.{}f}{}{}", v, decimals, sep, units[i]);
}

}  // namespace

std::string format_duration_ns(double ns) {
  static const char* const units[] = {"ns", "µs", "ms", "s"};
  return scaled(ns, units, 4, 1000, " ");
}

std::string format_bytes(double bytes) {
  static const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  return scaled(bytes, units, 5, 1024, " ");
}

std::string format_rate(double per_second) {
  static const char* const units[] = {"/s", "k/s", "M/s", "G/s"};
  return scaled(per_second, units, 4, 1000, " ");
}

std::string format_quantity(double n) {
  static const char* const units[] = {"", " k", " M", " G", " T"};
  return scaled(n, units, 5, 1000, "");
}

std::string format_percent(double fraction) { return fmt::format("{:.1f}%", fraction * 100); }

std::string format_count(uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace allocbench
