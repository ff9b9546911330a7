// A program's allocation profile (`profile:FILE`, `trace-info --profile`): per size class,
// how often it allocates, how long its objects live and which threads free them; no
// addresses and no order, so it can be shared where the trace cannot.
//
// A CSV file: lines starting with '#' are comments, then this header and a line per class.
//   size_min,size_max,rate,live,kept,lifetimes,threads,remote_percent
// - size_min, size_max: bytes requested, drawn uniformly between them.
// - rate: allocations per 1000 operations of the program (an operation: a call that
//   allocates or frees); one for the whole run, or ten separated by ';', one per tenth of
//   it, for a program that builds its data first and works on it after.
// - live: mean live objects. Without `lifetimes`, lifetimes are exponential of mean
//   live × 1000 / rate operations (Little's law, as fleetbench's empirical driver).
// - kept: the percentage of allocations never freed (one, or ten by tenth of the run).
// - lifetimes: how many of the freed objects live how long, in operations of the whole
//   program, as weights separated by ';': the k-th counts lifetimes up to 10^((k+1)/4),
//   four buckets a decade from 1 to 10^7 (missing ones are 0; empty: Little's law). From
//   a recording they are a life table: objects still live at its end count as lives cut
//   short, not as lives of that length.
// - threads: how many threads allocate the class (its allocations spread over the first ones).
// - remote_percent: frees made by a thread other than the allocating one.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace allocbench::trace {

using Tenths = std::array<double, 10>;  // a figure for each tenth of the run

inline constexpr size_t lifetime_buckets = 28;

struct ProfileClass {
  uint64_t size_min = 1, size_max = 1;
  Tenths rate{};
  double live = 0;
  Tenths kept{};  // percent
  std::array<uint64_t, lifetime_buckets> lifetimes{};
  unsigned threads = 1;
  double remote_percent = 0;

  double mean_rate() const;
  // The mean lifetime of an object, in operations (Little's law, for want of a histogram).
  double little_lifetime() const { return mean_rate() > 0 ? live / mean_rate() * 1000 : 0; }
};

struct Profile {
  std::vector<ProfileClass> classes;
  unsigned threads() const;  // the most any class has
};

inline constexpr uint64_t profile_largest_size = uint64_t{1} << 30;
inline constexpr unsigned profile_max_threads = 256;

// The lifetime bucket of `lifetime`, and the whole lifetime at quantile u ∈ (0, 1) of
// bucket b (log-uniform within it, or uniform where it holds few whole numbers).
size_t lifetime_bucket(uint64_t lifetime);
double lifetime_in_bucket(size_t b, double u);

// Reads and checks a profile: a usage error (exit 2) names the file, the line and the field.
Profile read_profile(const std::string& path);

// The CSV text of a profile, as read_profile reads it.
std::string profile_csv(const Profile& profile, const std::string& comment);

// The profile of a recorded trace: its allocations grouped by size class
// (common/size_classes.hpp); a realloc counts as a free and an allocation, as in trace-info.
Profile profile_of_trace(const std::string& path);

}  // namespace allocbench::trace
