// Integers as users type them in flags, workload parameters and backend settings:
// plain counts, and byte sizes that take the suffixes K, M and G (powers of 1024).
#pragma once

#include <cstdint>
#include <string_view>

namespace allocbench {

enum class ValueType {
  count,  // a plain integer
  bytes,  // an integer that also accepts the suffixes K, M, G
};

std::string_view to_string(ValueType type);

// What a value may be: its type, its bounds (inclusive) and a step it must be a multiple of.
struct ValueRange {
  ValueType type;
  int64_t min;
  int64_t max;
  int64_t multiple_of = 1;
};

// Parses `text`; throws a usage error naming `context` (the flag as the user wrote it)
// with the expected type and bounds.
int64_t parse_value(const ValueRange& range, std::string_view text, std::string_view context);

// A positive duration in seconds: "90", "90s", "10m", "1.5h". Throws a usage error naming `flag`.
double parse_duration(std::string_view text, std::string_view flag);

}  // namespace allocbench
