// A program's allocation profile (`profile:FILE`, `trace-info --profile`): per size class,
// how often it allocates, how long its objects live and which threads free them; no
// addresses and no order, so it can be shared where the trace cannot.
//
// A CSV file: lines starting with '#' are comments, then this header and a line per class.
//   size_min,size_max,rate,live,kept,lifetime_10,...,lifetime_more,lifetime_mean,threads,remote_percent
// - size_min, size_max: bytes requested, drawn uniformly between them.
// - rate: allocations per 1000 operations of the program (an operation: a call that
//   allocates or frees).
// - live: mean live objects. Lifetimes follow Little's law, live / rate, unless given.
// - kept: the percentage of allocations never freed; one for the whole run, or ten
//   separated by ';', one per tenth of it (a program that builds a table at its start
//   and one that is cut off in its steady state keep objects at different times).
// - lifetime_N (N = 10 … 1000000, and more): freed objects whose lifetime, in operations
//   of the whole program, is at most N; all zero: exponential lifetimes of mean live / rate.
// - lifetime_mean: the freed objects' mean lifetime; it shapes the lifetimes within each
//   bucket (0: spread evenly on a log scale).
// - threads: how many threads allocate the class (its allocations spread over the first ones).
// - remote_percent: frees made by a thread other than the allocating one.
#pragma once

#include "trace/summary.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace allocbench::trace {

struct ProfileClass {
  uint64_t size_min = 1, size_max = 1;
  double rate = 0;
  double live = 0;
  std::array<double, 10> kept{};  // percent, by tenth of the run
  std::array<uint64_t, lifetime_bounds.size() + 1> lifetimes{};
  double lifetime_mean = 0;
  unsigned threads = 1;
  double remote_percent = 0;

  // The mean lifetime of an object, in operations (Little's law, for want of a histogram).
  double little_lifetime() const { return rate > 0 ? live / rate * 1000 : 0; }
};

// Lifetimes within a bucket of the histogram have the density x^shape, one shape per
// class, fitted so that their mean is the class's lifetime_mean (-1, log-uniform, without).
double lifetime_shape(const ProfileClass& c);
// The lifetime at quantile u ∈ (0, 1) of bucket b.
double lifetime_in_bucket(size_t b, double shape, double u);

struct Profile {
  std::vector<ProfileClass> classes;
  unsigned threads() const;  // the most any class has
};

inline constexpr uint64_t profile_largest_size = uint64_t{1} << 30;
inline constexpr unsigned profile_max_threads = 256;

// Reads and checks a profile: a usage error (exit 2) names the file, the line and the field.
Profile read_profile(const std::string& path);

// The CSV text of a profile, as read_profile reads it.
std::string profile_csv(const Profile& profile, const std::string& comment);

// The profile of a recorded trace: its allocations grouped by size class
// (common/size_classes.hpp); a realloc counts as a free and an allocation, as in trace-info.
Profile profile_of_trace(const std::string& path);

}  // namespace allocbench::trace
