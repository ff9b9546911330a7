#include "trace/profile.hpp"

#include "common/error.hpp"
#include "common/size_classes.hpp"
#include "trace/objects.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <map>
#include <numeric>
#include <set>
#include <sstream>
#include <string_view>
#include <unordered_map>

namespace allocbench::trace {
namespace {

// The header of each version: version 1 had no dies_in.
const std::vector<std::string>& header_fields(unsigned version = profile_version) {
  static const std::vector<std::string> names{"size_min",  "size_max", "rate",    "live",          "kept",
                                              "lifetimes", "dies_in",  "threads", "remote_percent"};
  static const std::vector<std::string> first{"size_min", "size_max",  "rate",    "live",
                                              "kept",     "lifetimes", "threads", "remote_percent"};
  return version == 1 ? first : names;
}

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> fields;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, ',')) {
    auto first = field.find_first_not_of(" \t\r"), last = field.find_last_not_of(" \t\r");
    fields.push_back(first == std::string::npos ? "" : field.substr(first, last - first + 1));
  }
  if (!line.empty() && line.back() == ',') fields.emplace_back();
  return fields;
}

// One line's fields, read with errors that name the file, line and field.
class Fields {
 public:
  Fields(const std::string& path, size_t line, const std::vector<std::string>& names, std::vector<std::string> values)
      : path_(path), line_(line), names_(names), values_(std::move(values)) {}

  uint64_t integer(size_t i, uint64_t min, uint64_t max) const {
    uint64_t v = 0;
    const std::string& text = values_[i];
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || v < min || v > max)
      fail(i, fmt::format("an integer from {} to {}", min, max));
    return v;
  }

  double number(size_t i, double min, double max) const {
    double v = 0;
    const std::string& text = values_[i];
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v) || v < min || v > max)
      fail(i, fmt::format("a number from {} to {}", min, max));
    return v;
  }

  // One number for the whole run, or one for each of its parts separated by ';'.
  std::vector<double> per_part(size_t i, double max, size_t parts) const {
    std::string expected =
        fmt::format("a number from 0 to {}, or {} separated by ';' (one per part of the run)", max, parts);
    size_t pieces = pieces_of(values_[i], ';');
    if (pieces != 1 && pieces != parts) fail(i, expected);
    std::vector<double> out;
    out.reserve(parts);
    each_piece(values_[i], ';', [&](std::string_view text) {
      double v = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec != std::errc() || end != text.data() + text.size() || !(v >= 0 && v <= max)) fail(i, expected);
      out.push_back(v);
    });
    out.resize(parts, out.front());
    return out;
  }

  // Weights for the whole run, or for each part separated by '|'; each list of at most
  // `width` whole numbers separated by ';' (empty: none). Read in place, into one block.
  PartWeights part_weights(size_t i, size_t parts, size_t width) const {
    std::string expected = fmt::format("at most {} whole numbers separated by ';', once or {} times separated by '|' "
                                       "(one list per part of the run)",
                                       width, parts);
    const std::string& text = values_[i];
    size_t lists = pieces_of(text, '|');
    if (lists != 1 && lists != parts) fail(i, expected);
    PartWeights out;
    each_piece(text, '|', [&](std::string_view l) { out.width = std::max(out.width, l.empty() ? 0 : pieces_of(l, ';')); });
    if (out.width > width) fail(i, expected);
    out.weights.assign(parts * out.width, 0);
    size_t d = 0;
    each_piece(text, '|', [&](std::string_view l) {
      size_t b = 0;
      if (!l.empty())
        each_piece(l, ';', [&](std::string_view w) {
          uint64_t& v = out.weights[d * out.width + b++];
          auto [end, ec] = std::from_chars(w.data(), w.data() + w.size(), v);
          if (ec != std::errc() || end != w.data() + w.size() || v > UINT64_MAX / 1024) fail(i, expected);
        });
      ++d;
    });
    for (d = 1; lists == 1 && d < parts; ++d)  // one list for every part
      std::copy_n(out.weights.begin(), out.width, out.weights.begin() + static_cast<ptrdiff_t>(d * out.width));
    return out;
  }

  // The pieces of `text` between separators (a trailing one makes an empty last piece).
  static size_t pieces_of(std::string_view text, char separator) {
    return static_cast<size_t>(std::count(text.begin(), text.end(), separator)) + 1;
  }
  template <typename Each>
  static void each_piece(std::string_view text, char separator, Each each) {
    for (size_t start = 0;;) {
      size_t end = text.find(separator, start);
      each(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
      if (end == std::string_view::npos) return;
      start = end + 1;
    }
  }

  [[noreturn]] void fail(size_t i, const std::string& expected) const {
    throw usage_error("profile {}, line {}, field {}: expected {}, found '{}'", path_, line_, names_[i], expected,
                      values_[i]);
  }

 private:
  const std::string& path_;
  size_t line_;
  const std::vector<std::string>& names_;
  std::vector<std::string> values_;
};

std::string number_text(double v) { return fmt::format("{:.6g}", v); }

// One value when every part has the same, else all of them separated by `separator`.
template <typename T, typename Text>
std::string per_part_text(const std::vector<T>& values, char separator, Text text) {
  if (std::all_of(values.begin(), values.end(), [&values](const T& v) { return v == values[0]; }))
    return text(values[0]);
  std::vector<std::string> parts;
  for (const T& v : values) parts.push_back(text(v));
  return fmt::format("{}", fmt::join(parts, std::string(1, separator)));
}

std::string weights_text(std::span<const uint64_t> weights) {
  size_t used = weights.size();
  while (used > 0 && weights[used - 1] == 0) --used;
  return fmt::format("{}", fmt::join(weights.begin(), weights.begin() + static_cast<ptrdiff_t>(used), ";"));
}

// Weights of every part: one list when every part has the same, else one per part.
std::string part_weights_text(const PartWeights& w, size_t parts) {
  if (w.width == 0) return "";
  std::vector<std::string> texts;
  for (size_t d = 0; d < parts; ++d) texts.push_back(weights_text(w.of(d)));
  return per_part_text(texts, '|', [](const std::string& t) { return t; });
}

// What profile_of_trace keeps of a live object.
struct ProfiledObject : Allocation {
  uint32_t thread = 0, part = 0;
  uint64_t own = 0;  // the operations its thread had made when it was allocated
  static ProfiledObject made_by(uint64_t index, const Operation& op) { return {{index, op.size}, op.thread, 0, 0}; }
};

struct ClassCounts {
  explicit ClassCounts(size_t parts)
      : allocations(parts), kept(parts), freed(parts * lifetime_buckets), dies_in(parts * parts) {}
  std::vector<uint64_t> allocations, kept;  // by the part of the run they were made in; kept: live at the end
  std::vector<uint64_t> freed;              // by that part, then by lifetime (a ProfileClass's block)
  std::vector<uint64_t> dies_in;            // by that part, then by how many parts later they died
  uint64_t frees = 0, remote_frees = 0;
  double lifetime_sum = 0;           // Σ (free or end − birth)
  std::vector<uint64_t> per_thread;  // allocations
  uint64_t size_min = UINT64_MAX, size_max = 0;
};

// The version line, or (version 1) none: the parts and operations it gives.
bool read_version(const std::string& path, size_t line, const std::vector<std::string>& values, Profile& p) {
  if (values.empty() || values[0] != "version") return false;
  static const std::vector<std::string> names{"version", "version", "parts", "parts", "operations", "operations"};
  Fields f(path, line, names, values);
  if (values.size() < 2 || f.integer(1, 1, UINT64_MAX) != profile_version)
    throw usage_error("profile {}, line {}: version '{}' is not one this allocbench reads (1, without a version "
                      "line, and {}): write the profile again with this allocbench's trace-info --profile",
                      path, line, values.size() < 2 ? "" : values[1], profile_version);
  if (values.size() != names.size() || values[2] != "parts" || values[4] != "operations")
    throw usage_error("profile {}, line {}: expected 'version,{},parts,P,operations,N'", path, line, profile_version);
  if (values[3].find_first_of(";.") == std::string::npos) {
    p.ends = Profile::equal_parts(f.integer(3, 1, profile_max_parts));
  } else {  // where each part ends
    std::string expected = fmt::format("fractions of the run separated by ';', each larger than the one before, "
                                       "the last 1, at most {} of them", profile_max_parts);
    p.ends.clear();
    Fields::each_piece(values[3], ';', [&](std::string_view text) {
      double end = 0;
      auto [stop, ec] = std::from_chars(text.data(), text.data() + text.size(), end);
      if (ec != std::errc() || stop != text.data() + text.size() || !(end > (p.ends.empty() ? 0 : p.ends.back())) ||
          end > 1 || p.ends.size() == profile_max_parts)
        f.fail(3, expected);
      p.ends.push_back(end);
    });
    if (p.ends.back() != 1) f.fail(3, expected);
  }
  p.operations = f.integer(5, 1, 1'000'000'000'000);
  p.version = profile_version;
  return true;
}

std::string parts_text(const std::vector<double>& ends) {
  if (ends == Profile::equal_parts(ends.size())) return std::to_string(ends.size());
  return per_part_text(ends, ';', number_text);
}

// A recording is counted by slice of the run (of its records) first, then added up into
// the parts chosen from them.
constexpr size_t slices = 500;

// The run's slices cut into at most `most` parts: min(10, most) equal ones, then, one cut
// at a time, where the rate of allocation changes most (the largest gain in likelihood of
// a rate per side), until `most` or until no cut changes the rate by a quarter or more.
std::vector<size_t> cut_points(const std::vector<uint64_t>& allocations, const std::vector<uint64_t>& operations,
                               unsigned most) {
  const size_t n = allocations.size();
  std::vector<double> a(n + 1), o(n + 1);  // prefix sums
  for (size_t i = 0; i < n; ++i) {
    a[i + 1] = a[i] + static_cast<double>(allocations[i]);
    o[i + 1] = o[i] + static_cast<double>(operations[i]);
  }
  auto fit = [](double made, double ops) { return made > 0 && ops > 0 ? made * std::log(made / ops) : 0.0; };
  struct Cut {
    double gain = 0;
    size_t at = 0;
  };
  auto best_cut = [&](size_t lo, size_t hi) {
    Cut best;
    for (size_t at = lo + 1; at < hi; ++at) {
      double a1 = a[at] - a[lo], o1 = o[at] - o[lo], a2 = a[hi] - a[at], o2 = o[hi] - o[at];
      if (o1 == 0 || o2 == 0) continue;
      double r1 = a1 / o1, r2 = a2 / o2;
      if (std::max(r1, r2) < 1.25 * std::min(r1, r2)) continue;
      double gain = fit(a1, o1) + fit(a2, o2) - fit(a1 + a2, o1 + o2);
      if (gain > best.gain) best = {gain, at};
    }
    return best;
  };
  std::set<size_t> ends;
  unsigned base = std::min(most, 10u);
  for (unsigned k = 1; k <= base; ++k) ends.insert(k * n / base);
  while (ends.size() < most) {
    Cut best;
    size_t lo = 0;
    for (size_t hi : ends) {
      Cut c = best_cut(lo, hi);
      if (c.gain > best.gain) best = c;
      lo = hi;
    }
    if (best.gain < 10) break;  // a change too small to tell from chance
    ends.insert(best.at);
  }
  return {ends.begin(), ends.end()};
}

}  // namespace

size_t lifetime_bucket(uint64_t lifetime) {
  if (lifetime <= 1) return 0;
  auto k = static_cast<size_t>(std::ceil(4 * std::log10(static_cast<double>(lifetime))) - 1);
  return std::min(k, lifetime_buckets - 1);
}

double lifetime_in_bucket(size_t b, double u) {
  // Bucket b holds the whole numbers in (10^(b/4), 10^((b+1)/4)]; bucket 0 holds 1 (and 0).
  double lo = b == 0 ? 1 : std::floor(std::pow(10, static_cast<double>(b) / 4)) + 1;
  double hi = std::floor(std::pow(10, static_cast<double>(b + 1) / 4));
  if (hi - lo < 64) return lo + std::min(hi - lo, std::floor(u * (hi - lo + 1)));  // few: each as likely
  return std::clamp(std::round(lo * std::pow(hi / lo, u)), lo, hi);
}

double ProfileClass::mean_rate(const std::vector<double>& ends) const {
  double sum = 0, start = 0;
  for (size_t d = 0; d < rate.size() && d < ends.size(); ++d) {
    sum += rate[d] * (ends[d] - start);
    start = ends[d];
  }
  return sum;
}

std::vector<double> Profile::equal_parts(size_t n) {
  std::vector<double> ends;
  for (size_t k = 1; k <= n; ++k) ends.push_back(static_cast<double>(k) / static_cast<double>(n));
  return ends;
}

unsigned Profile::threads() const {
  unsigned most = 1;
  for (const auto& c : classes) most = std::max(most, c.threads);
  return most;
}

Profile read_profile(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw usage_error("profile {}: cannot be read (expected a CSV file written by trace-info --profile)", path);
  Profile p;
  p.version = 1;  // as allocbench wrote profiles before the version line
  std::vector<size_t> lines;  // of each class
  bool header = false;
  std::string line;
  auto expected_header = [&p] {
    return p.version == 1 ? fmt::format("the header '{}' (version 1), or a line 'version,{},parts,P,operations,N' "
                                        "and then the header '{}'",
                                        fmt::join(header_fields(1), ","), profile_version, fmt::join(header_fields(), ","))
                          : fmt::format("the header '{}'", fmt::join(header_fields(), ","));
  };
  for (size_t number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos || line[line.find_first_not_of(" \t")] == '#') continue;
    std::vector<std::string> values = split(line);
    if (!header) {
      if (p.version == 1 && read_version(path, number, values, p)) continue;
      if (values != header_fields(p.version))
        throw usage_error("profile {}, line {}: expected {}", path, number, expected_header());
      header = true;
      continue;
    }
    const std::vector<std::string>& names = header_fields(p.version);
    if (values.size() != names.size())
      throw usage_error("profile {}, line {}: expected {} fields ({}), found {}", path, number, names.size(),
                        fmt::join(names, ","), values.size());
    Fields f(path, number, names, values);
    ProfileClass c;
    c.size_min = f.integer(0, 1, profile_largest_size);
    c.size_max = f.integer(1, c.size_min, profile_largest_size);
    c.rate = f.per_part(2, 1000, p.parts());
    if (std::all_of(c.rate.begin(), c.rate.end(), [](double r) { return r == 0; }))
      f.fail(2, "a rate above 0 in some part of the run");
    c.live = f.number(3, 0, 1e9);
    c.kept = f.per_part(4, 100, p.parts());
    c.lifetimes = f.part_weights(5, p.parts(), lifetime_buckets);
    size_t next = 6;
    if (p.version >= 2) c.dies_in = f.part_weights(next++, p.parts(), p.parts());
    c.threads = static_cast<unsigned>(f.integer(next++, 1, profile_max_threads));
    c.remote_percent = f.number(next, 0, 100);
    p.classes.push_back(c);
    lines.push_back(number);
  }
  if (!header) throw usage_error("profile {}: expected {}, found none", path, expected_header());
  if (p.classes.empty()) throw usage_error("profile {}: expected at least one size class after the header", path);
  for (size_t d = 0; d < p.parts(); ++d) {
    double rates = 0;
    for (const auto& c : p.classes) rates += c.rate[d];
    if (rates > 1000 * (1 + 1e-5))  // a file this program wrote rounds its rates to six digits
      throw usage_error("profile {}, lines {}-{}, field rate: in part {} of the run the rates add up to {} "
                        "allocations per 1000 operations, expected at most 1000",
                        path, lines.front(), lines.back(), d + 1, number_text(rates));
  }
  if (p.threads() == 1)
    for (size_t i = 0; i < p.classes.size(); ++i)
      if (p.classes[i].remote_percent > 0)
        throw usage_error("profile {}, line {}, field remote_percent: expected 0 in a profile whose classes all have "
                          "one thread (a remote free needs threads of 2 or more), found {}",
                          path, lines[i], number_text(p.classes[i].remote_percent));
  return p;
}

std::string profile_csv(const Profile& profile, const std::string& comment) {
  std::string out = fmt::format("# {}\nversion,{},parts,{},operations,{}\n{}\n", comment, profile_version,
                                parts_text(profile.ends), profile.operations, fmt::join(header_fields(), ","));
  const size_t parts = profile.parts();
  for (const auto& c : profile.classes)
    out += fmt::format("{},{},{},{},{},{},{},{},{}\n", c.size_min, c.size_max, per_part_text(c.rate, ';', number_text),
                       number_text(c.live), per_part_text(c.kept, ';', number_text),
                       part_weights_text(c.lifetimes, parts), part_weights_text(c.dies_in, parts), c.threads,
                       number_text(c.remote_percent));
  return out;
}

Profile profile_of_trace(const std::string& path, unsigned most) {
  // A first pass finds the parts, from the allocations and operations of each slice.
  std::vector<uint64_t> slice_allocations(slices), slice_operations(slices);
  {
    TraceStream in(path);
    const uint64_t total = std::max<uint64_t>(in.operations(), 1);
    walk<Allocation>(in, available_memory() / 2,
                     [&](const Operation&, uint64_t index, const Allocation* freed, const Allocation* made) {
                       size_t slice = std::min<size_t>(slices - 1, index * slices / total);
                       slice_operations[slice] += (freed != nullptr) + (made != nullptr);
                       slice_allocations[slice] += made != nullptr;
                     });
  }
  // Parts end where their slices do, as fractions of the operations a replay makes (a
  // realloc is two, a free of an object never allocated none); a part of almost none joins
  // the next, so that the ends stay apart in six digits.
  std::vector<size_t> ends;
  std::vector<double> fractions;
  {
    std::vector<uint64_t> before(slices + 1);
    for (size_t slice = 0; slice < slices; ++slice) before[slice + 1] = before[slice] + slice_operations[slice];
    const auto all = static_cast<double>(std::max<uint64_t>(before[slices], 1));
    for (size_t end : cut_points(slice_allocations, slice_operations, std::max(most, 1u))) {
      double fraction = end == slices ? 1 : static_cast<double>(before[end]) / all;
      if (!fractions.empty() && fraction - fractions.back() < 2e-6 && end != slices) continue;
      if (!fractions.empty() && fraction - fractions.back() < 2e-6) {  // the last part: it ends the run
        ends.pop_back();
        fractions.pop_back();
      }
      ends.push_back(end);
      fractions.push_back(fraction);
    }
  }
  const size_t parts = ends.size();
  std::vector<uint32_t> part_of_slice(slices);
  for (size_t slice = 0, d = 0; slice < slices; ++slice) {
    if (slice == ends[d]) ++d;
    part_of_slice[slice] = static_cast<uint32_t>(d);
  }

  TraceStream in(path);
  const uint64_t total = std::max<uint64_t>(in.operations(), 1);
  auto part_of = [&](uint64_t index) { return part_of_slice[std::min<size_t>(slices - 1, index * slices / total)]; };
  std::map<size_t, ClassCounts> counts;
  auto counts_of = [&counts, parts](uint64_t size) -> ClassCounts& {
    size_t cls = size_classes::class_of(std::min<uint64_t>(size, profile_largest_size));
    return counts.try_emplace(cls, parts).first->second;
  };
  std::unordered_map<uint64_t, ProfiledObject> alive;  // by address: what is live at the end was kept
  // The profile's clock counts allocations and frees, as a replay makes them: a realloc is
  // both, and a free of an object the trace never allocated neither.
  uint64_t operations = 0;
  std::vector<uint64_t> part_operations(parts);
  // Lifetimes count the operations of the thread that allocates, which do not depend on
  // how the program's threads happened to interleave while it was recorded.
  std::vector<uint64_t> thread_operations(in.threads() + 1);
  auto tick = [&thread_operations](uint32_t thread) {
    if (thread_operations.size() <= thread) thread_operations.resize(thread + 1);
    return thread_operations[thread]++;
  };
  walk<ProfiledObject>(in, available_memory() / 2,
                       [&](const Operation& op, uint64_t index, const ProfiledObject* freed, ProfiledObject* made) {
                         uint32_t part = part_of(index);
                         if (freed) {
                           ClassCounts& c = counts_of(freed->size);
                           uint64_t lifetime = thread_operations[freed->thread] - freed->own;
                           ++c.frees;
                           c.remote_frees += freed->thread != op.thread;
                           c.lifetime_sum += static_cast<double>(operations - freed->index);
                           ++c.freed[freed->part * lifetime_buckets + lifetime_bucket(lifetime)];
                           ++c.dies_in[freed->part * parts + (part - freed->part)];
                           alive.erase(op.address);
                           ++operations;
                           ++part_operations[part];
                           tick(op.thread);
                         }
                         if (made) {
                           ClassCounts& c = counts_of(made->size);
                           made->part = part;
                           ++c.allocations[part];
                           if (c.per_thread.size() <= made->thread) c.per_thread.resize(made->thread + 1);
                           ++c.per_thread[made->thread];
                           uint64_t size = std::max<uint64_t>(1, std::min(made->size, profile_largest_size));
                           c.size_min = std::min(c.size_min, size);
                           c.size_max = std::max(c.size_max, size);
                           made->index = operations;
                           made->own = tick(op.thread);
                           alive[op.op == Op::realloc_ ? op.address2 : op.address] = *made;
                           ++operations;
                           ++part_operations[part];
                         }
                       });
  if (operations == 0) throw usage_error("trace {}: it holds no operations to make a profile of", path);
  for (const auto& [address, o] : alive) {
    ClassCounts& c = counts_of(o.size);
    ++c.kept[o.part];
    c.lifetime_sum += static_cast<double>(operations - o.index);
  }
  Profile p;
  p.ends = fractions;
  p.operations = operations;
  for (const auto& [cls, c] : counts) {
    uint64_t allocations = std::accumulate(c.allocations.begin(), c.allocations.end(), uint64_t{0});
    if (!allocations) continue;  // frees only: of objects allocated before the recording began
    ProfileClass pc;
    pc.size_min = c.size_min;
    pc.size_max = c.size_max;
    for (size_t d = 0; d < parts; ++d) {
      auto made = static_cast<double>(c.allocations[d]);
      pc.rate.push_back(part_operations[d] ? made * 1000 / static_cast<double>(part_operations[d]) : 0);
      // Born in part d: how many live to the end, and how long the others live. Those born
      // in one part have about the same time left to live, so the share that outlives
      // the run is a fact of the part, not a guess from a life table.
      pc.kept.push_back(made ? 100 * static_cast<double>(c.kept[d]) / made : 0);
    }
    pc.lifetimes = {c.freed, lifetime_buckets};
    pc.dies_in = {c.dies_in, parts};
    pc.live = c.lifetime_sum / static_cast<double>(operations);  // Little's law, over the whole recording
    // The threads that make a share of the class worth replaying on a thread of its own:
    // a main thread that allocates a few of a class does not spread it over one more.
    auto busy = std::count_if(c.per_thread.begin(), c.per_thread.end(),
                              [allocations](uint64_t n) { return n * 20 >= allocations; });  // 5% or more
    pc.threads = std::clamp<unsigned>(static_cast<unsigned>(busy), 1, profile_max_threads);
    pc.remote_percent = c.frees ? 100.0 * static_cast<double>(c.remote_frees) / static_cast<double>(c.frees) : 0;
    p.classes.push_back(pc);
  }
  // Replayed on one thread, a free by another thread has no one to make it.
  if (p.threads() == 1)
    for (auto& c : p.classes) c.remote_percent = 0;
  return p;
}

}  // namespace allocbench::trace
