// Human-readable numbers for tables: durations, byte sizes, rates, percentages.
#pragma once

#include <cstdint>
#include <string>

namespace allocbench {

std::string format_duration_ns(double ns);  // "812 µs", "186.2 ms", "1.23 s"
std::string format_bytes(double bytes);     // "512 B", "3.11 MiB"
std::string format_rate(double per_second); // "21.5 M/s"
std::string format_quantity(double n);     // "812", "4.31 M", "1.20 G"
std::string format_percent(double fraction);// "1.3%"
std::string format_count(uint64_t n);       // "13,473,702"

}  // namespace allocbench
