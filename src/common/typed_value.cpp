#include "common/typed_value.hpp"

#include "common/error.hpp"

#include <charconv>
#include <cmath>
#include <limits>

namespace allocbench {

std::string_view to_string(ValueType type) { return type == ValueType::bytes ? "bytes" : "count"; }

namespace {

int64_t suffix_multiplier(char c) {
  switch (c) {
    case 'K': case 'k': return int64_t{1} << 10;
    case 'M': case 'm': return int64_t{1} << 20;
    case 'G': case 'g': return int64_t{1} << 30;
    default: return 0;
  }
}

}  // namespace

int64_t parse_value(const ValueRange& range, std::string_view text, std::string_view context) {
  bool bytes = range.type == ValueType::bytes;
  auto expected = [&] {
    return usage_error("{}: expected {} from {} to {}{}, got '{}'", context, bytes ? "a byte size" : "an integer",
                       range.min, range.max, bytes ? " (suffixes K, M, G allowed)" : "", text);
  };
  int64_t multiplier = 1;
  std::string_view digits = text;
  if (bytes && !digits.empty()) {
    if (int64_t m = suffix_multiplier(digits.back())) {
      multiplier = m;
      digits.remove_suffix(1);
    }
  }
  int64_t value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) throw expected();
  if (value > std::numeric_limits<int64_t>::max() / multiplier ||
      value < std::numeric_limits<int64_t>::min() / multiplier)
    throw expected();
  value *= multiplier;
  if (value < range.min || value > range.max) throw expected();
  if (value % range.multiple_of)
    throw usage_error("{}: expected a multiple of {}, got '{}'", context, range.multiple_of, text);
  return value;
}

double parse_duration(std::string_view text, std::string_view flag) {
  auto expected = [&] {
    return usage_error("{} '{}': expected a positive duration such as 90s, 10m or 1.5h", flag, text);
  };
  double scale = 1;
  std::string_view number = text;
  if (!number.empty()) {
    switch (number.back()) {
      case 's': scale = 1; break;
      case 'm': scale = 60; break;
      case 'h': scale = 3600; break;
      default: scale = 0; break;
    }
    if (scale != 0) number.remove_suffix(1);
    else scale = 1;
  }
  double value = 0;
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (number.empty() || ec != std::errc() || end != number.data() + number.size() || !(value > 0) ||
      !std::isfinite(value * scale))
    throw expected();
  return value * scale;
}

}  // namespace allocbench
