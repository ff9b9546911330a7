// A program's allocation profile (`profile:FILE`, `trace-info --profile`): per size class,
// how often it allocates, how long its objects live and which threads free them; no
// addresses and no order, so it can be shared where the trace cannot.
//
// A CSV file: lines starting with '#' are comments, then (version 2) a line
//   version,2,parts,P,operations,N
// saying that the run is cut into P equal parts, or (P as fractions separated by ';')
// into parts that end where P says, and that the program made N operations (an
// operation: an allocation or a free; a realloc is both); then this header and a line per
// class.
//   size_min,size_max,rate,live,kept,lifetimes,dies_in,threads,remote_percent
// - size_min, size_max: bytes requested, drawn uniformly between them.
// - rate: allocations per 1000 operations of the program; one for the whole run, or one
//   per part separated by ';'.
// - live: mean live objects. Without `lifetimes`, lifetimes are exponential of mean
//   live × 1000 / rate operations (Little's law, as fleetbench's empirical driver).
// - kept: the percentage of allocations that live to the end of the run; one, or per part.
// - lifetimes: how many of the freed objects live how long, in operations of the thread
//   that allocates them, as weights separated by ';': the k-th counts lifetimes up to
//   10^((k+1)/4), four buckets a decade from 1 to 10^10 (missing ones are 0; empty:
//   Little's law).
// - dies_in: how many of the freed objects die in the part they are born in, the next
//   one, and so on, as weights separated by ';' (empty: wherever their lifetime ends). A
//   life that would end two parts or more after its birth, or after the run, ends in a
//   part drawn from dies_in instead: a structure built once and dropped at exit, or a
//   round's objects dropped in the next round, die where the program dropped them.
//   `lifetimes` and `dies_in` hold one list for the whole run, or one per part separated
//   by '|' (those of the objects born in it).
// - threads: how many threads allocate the class (its allocations spread over the first ones).
// - remote_percent: frees made by a thread other than the allocating one.
//
// Version 1, without the version line and without dies_in, is read as 10 equal parts
// whose lifetimes count operations of the whole program; a later version is refused.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace allocbench::trace {

inline constexpr unsigned profile_version = 2;
inline constexpr size_t lifetime_buckets = 40;

// Weights for each part of the run, in one block (a replay that measures memory reads
// them): part d's are [d × width, (d + 1) × width); width 0: none given.
struct PartWeights {
  std::vector<uint64_t> weights;
  size_t width = 0;
  std::span<const uint64_t> of(size_t part) const { return std::span(weights).subspan(part * width, width); }
};

struct ProfileClass {
  uint64_t size_min = 1, size_max = 1;
  std::vector<double> rate;  // per part
  double live = 0;
  std::vector<double> kept;  // percent, per part
  PartWeights lifetimes;     // by lifetime bucket
  PartWeights dies_in;       // by parts after the one of birth (0: that one)
  unsigned threads = 1;
  double remote_percent = 0;

  // Its rate over the whole run (parts ending at `ends`), and the mean lifetime of an
  // object in operations of the whole program (Little's law, for want of a histogram).
  double mean_rate(const std::vector<double>& ends) const;
  double little_lifetime(const std::vector<double>& ends) const {
    return mean_rate(ends) > 0 ? live / mean_rate(ends) * 1000 : 0;
  }
};

struct Profile {
  static std::vector<double> equal_parts(size_t n);
  std::vector<double> ends = equal_parts(10);  // where each part ends, as a fraction of the run
  uint64_t operations = 0;                      // of the program profiled; 0: not known (version 1)
  // Version 2: lifetimes count the allocating thread's operations. Version 1: the whole
  // program's, spread over the replay's threads.
  unsigned version = profile_version;
  std::vector<ProfileClass> classes;
  size_t parts() const { return ends.size(); }
  unsigned threads() const;  // the most any class has
};

inline constexpr uint64_t profile_largest_size = uint64_t{1} << 30;
inline constexpr unsigned profile_max_threads = 256;
inline constexpr unsigned profile_max_parts = 100;
inline constexpr unsigned profile_default_parts = 60;

// The lifetime bucket of `lifetime`, and the whole lifetime at quantile u ∈ (0, 1) of
// bucket b (log-uniform within it, or uniform where it holds few whole numbers).
size_t lifetime_bucket(uint64_t lifetime);
double lifetime_in_bucket(size_t b, double u);

// Reads and checks a profile: a usage error (exit 2) names the file, the line and the field.
Profile read_profile(const std::string& path);

// The CSV text of a profile, as read_profile reads it.
std::string profile_csv(const Profile& profile, const std::string& comment);

// The profile of a recorded trace in at most `most` parts: up to 10 equal ones, cut again
// where the program's rate of allocation changes (a build, a burst, the end of a round);
// its allocations grouped by size class (common/size_classes.hpp); a realloc counts as a
// free and an allocation, as in trace-info.
Profile profile_of_trace(const std::string& path, unsigned most = profile_default_parts);

}  // namespace allocbench::trace
