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
#include <sstream>
#include <unordered_map>

namespace allocbench::trace {
namespace {

std::vector<std::string> header_fields() {
  std::vector<std::string> names{"size_min", "size_max", "rate", "live", "kept"};
  for (uint64_t bound : lifetime_bounds) names.push_back(fmt::format("lifetime_{}", bound));
  names.insert(names.end(), {"lifetime_more", "lifetime_mean", "threads", "remote_percent"});
  return names;
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

  // One percentage for every tenth of the run, or ten separated by ';'.
  std::array<double, 10> tenths(size_t i) const {
    std::array<double, 10> out{};
    std::vector<std::string> parts;
    std::istringstream in(values_[i]);
    for (std::string part; std::getline(in, part, ';');) parts.push_back(part);
    if (parts.size() != 1 && parts.size() != out.size())
      fail(i, "a percentage, or ten separated by ';' (one per tenth of the run)");
    for (size_t d = 0; d < out.size(); ++d) {
      const std::string& text = parts[parts.size() == 1 ? 0 : d];
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out[d]);
      if (ec != std::errc() || end != text.data() + text.size() || !(out[d] >= 0 && out[d] <= 100))
        fail(i, "percentages from 0 to 100 (one, or ten separated by ';')");
    }
    return out;
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

std::string kept_text(const std::array<double, 10>& kept) {
  if (std::all_of(kept.begin(), kept.end(), [&kept](double k) { return k == kept[0]; })) return number_text(kept[0]);
  std::vector<std::string> parts;
  for (double k : kept) parts.push_back(number_text(k));
  return fmt::format("{}", fmt::join(parts, ";"));
}

// What profile_of_trace keeps of a live object.
struct ProfiledObject : Allocation {
  uint32_t thread = 0;
  static ProfiledObject made_by(uint64_t index, const Operation& op) { return {{index, op.size}, op.thread}; }
};

struct ClassCounts {
  uint64_t allocations = 0, frees = 0, remote_frees = 0;
  std::array<uint64_t, 10> per_tenth{}, kept{};  // allocations, and those live at the end, by tenth of the run
  double freed_lifetimes = 0;
  double lifetime_sum = 0;  // Σ (free or end − birth)
  std::array<uint64_t, lifetime_bounds.size() + 1> lifetimes{};
  std::vector<uint64_t> per_thread;  // allocations
  uint64_t size_min = UINT64_MAX, size_max = 0;
};

// Bucket b's lifetimes: [1, 10], [11, 100], ..., and ten times the last bound above it.
std::pair<double, double> bucket_range(size_t b) {
  double lo = b == 0 ? 1 : static_cast<double>(lifetime_bounds[b - 1]) + 1;
  double hi = b < lifetime_bounds.size() ? static_cast<double>(lifetime_bounds[b]) : (lo - 1) * 10;
  return {lo, hi};
}

double histogram_mean(const ProfileClass& c, double shape) {
  double sum = 0, weight = 0;
  for (size_t b = 0; b < c.lifetimes.size(); ++b) {
    if (!c.lifetimes[b]) continue;
    double mean = 0;
    for (int i = 0; i < 64; ++i) mean += lifetime_in_bucket(b, shape, (i + 0.5) / 64) / 64;
    sum += mean * static_cast<double>(c.lifetimes[b]);
    weight += static_cast<double>(c.lifetimes[b]);
  }
  return weight ? sum / weight : 0;
}

}  // namespace

double lifetime_in_bucket(size_t b, double shape, double u) {
  auto [lo, hi] = bucket_range(b);
  double p = shape + 1;
  if (std::abs(p) < 1e-9) return lo * std::pow(hi / lo, u);
  return std::pow(std::pow(lo, p) + u * (std::pow(hi, p) - std::pow(lo, p)), 1 / p);
}

double lifetime_shape(const ProfileClass& c) {
  if (c.lifetime_mean <= 0) return -1;
  double low = -6, high = 3;  // the mean grows with the shape: bisection
  for (int i = 0; i < 50; ++i) {
    double mid = (low + high) / 2;
    (histogram_mean(c, mid) < c.lifetime_mean ? low : high) = mid;
  }
  return (low + high) / 2;
}

unsigned Profile::threads() const {
  unsigned most = 1;
  for (const auto& c : classes) most = std::max(most, c.threads);
  return most;
}

Profile read_profile(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw usage_error("profile {}: cannot be read (expected a CSV file written by trace-info --profile)", path);
  const std::vector<std::string> names = header_fields();
  Profile p;
  bool header = false;
  std::string line;
  for (size_t number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos || line[line.find_first_not_of(" \t")] == '#') continue;
    std::vector<std::string> values = split(line);
    if (!header) {
      if (values != names)
        throw usage_error("profile {}, line {}: expected the header '{}'", path, number, fmt::join(names, ","));
      header = true;
      continue;
    }
    if (values.size() != names.size())
      throw usage_error("profile {}, line {}: expected {} fields ({}), found {}", path, number, names.size(),
                        fmt::join(names, ","), values.size());
    Fields f(path, number, names, values);
    ProfileClass c;
    c.size_min = f.integer(0, 1, profile_largest_size);
    c.size_max = f.integer(1, c.size_min, profile_largest_size);
    c.rate = f.number(2, 1e-9, 1000);
    c.live = f.number(3, 0, 1e9);
    c.kept = f.tenths(4);
    for (size_t b = 0; b < c.lifetimes.size(); ++b) c.lifetimes[b] = f.integer(5 + b, 0, UINT64_MAX / 1024);
    size_t at = 5 + c.lifetimes.size();
    c.lifetime_mean = f.number(at++, 0, 1e15);
    c.threads = static_cast<unsigned>(f.integer(at, 1, profile_max_threads));
    c.remote_percent = f.number(at + 1, 0, 100);
    p.classes.push_back(c);
  }
  if (!header) throw usage_error("profile {}: expected the header '{}', found none", path, fmt::join(names, ","));
  if (p.classes.empty()) throw usage_error("profile {}: expected at least one size class after the header", path);
  double rates = 0;
  for (const auto& c : p.classes) rates += c.rate;
  if (rates > 1000)
    throw usage_error("profile {}: the rates add up to {} allocations per 1000 operations, more than 1000", path,
                      number_text(rates));
  if (p.threads() == 1)
    for (size_t i = 0; i < p.classes.size(); ++i)
      if (p.classes[i].remote_percent > 0)
        throw usage_error("profile {}: size class {} (sizes {}-{}) has remote_percent {} but the profile has one "
                          "thread: a remote free needs threads of 2 or more",
                          path, i + 1, p.classes[i].size_min, p.classes[i].size_max,
                          number_text(p.classes[i].remote_percent));
  return p;
}

std::string profile_csv(const Profile& profile, const std::string& comment) {
  std::string out = fmt::format("# {}\n{}\n", comment, fmt::join(header_fields(), ","));
  for (const auto& c : profile.classes)
    out += fmt::format("{},{},{},{},{},{},{},{},{}\n", c.size_min, c.size_max, number_text(c.rate),
                       number_text(c.live), kept_text(c.kept), fmt::join(c.lifetimes, ","),
                       number_text(c.lifetime_mean), c.threads, number_text(c.remote_percent));
  return out;
}

Profile profile_of_trace(const std::string& path) {
  TraceStream in(path);
  const uint64_t total = in.operations();
  auto tenth = [total](uint64_t index) { return std::min<size_t>(9, index * 10 / std::max<uint64_t>(total, 1)); };
  std::map<size_t, ClassCounts> counts;
  std::unordered_map<uint64_t, ProfiledObject> alive;  // by address: what is live at the end was kept
  uint64_t operations = 0;
  auto class_of = [](uint64_t size) { return size_classes::class_of(std::min<uint64_t>(size, profile_largest_size)); };
  walk<ProfiledObject>(in, available_memory() / 2,
                       [&](const Operation& op, uint64_t index, const ProfiledObject* freed, ProfiledObject* made) {
                         operations = index + 1;
                         if (freed) {
                           ClassCounts& c = counts[class_of(freed->size)];
                           uint64_t lifetime = index - freed->index;
                           ++c.frees;
                           c.remote_frees += freed->thread != op.thread;
                           c.freed_lifetimes += static_cast<double>(lifetime);
                           c.lifetime_sum += static_cast<double>(lifetime);
                           ++c.lifetimes[static_cast<size_t>(
                               std::lower_bound(lifetime_bounds.begin(), lifetime_bounds.end(), lifetime) -
                               lifetime_bounds.begin())];
                           alive.erase(op.address);
                         }
                         if (made) {
                           ClassCounts& c = counts[class_of(made->size)];
                           ++c.allocations;
                           ++c.per_tenth[tenth(index)];
                           if (c.per_thread.size() <= made->thread) c.per_thread.resize(made->thread + 1);
                           ++c.per_thread[made->thread];
                           uint64_t size = std::max<uint64_t>(1, std::min(made->size, profile_largest_size));
                           c.size_min = std::min(c.size_min, size);
                           c.size_max = std::max(c.size_max, size);
                           alive[op.op == Op::realloc_ ? op.address2 : op.address] = *made;
                         }
                       });
  if (operations == 0) throw usage_error("trace {}: it holds no operations to make a profile of", path);
  for (const auto& [address, o] : alive) {
    ClassCounts& c = counts[class_of(o.size)];
    ++c.kept[tenth(o.index)];
    c.lifetime_sum += static_cast<double>(operations - o.index);
  }
  Profile p;
  for (const auto& [cls, c] : counts) {
    if (!c.allocations) continue;  // frees only: of objects allocated before the recording began
    ProfileClass pc;
    pc.size_min = c.size_min;
    pc.size_max = c.size_max;
    pc.rate = static_cast<double>(c.allocations) * 1000 / static_cast<double>(operations);
    pc.live = c.lifetime_sum / static_cast<double>(operations);  // Little's law, over the whole recording
    for (size_t d = 0; d < pc.kept.size(); ++d)
      pc.kept[d] = c.per_tenth[d] ? 100.0 * static_cast<double>(c.kept[d]) / static_cast<double>(c.per_tenth[d]) : 0;
    pc.lifetimes = c.lifetimes;
    pc.lifetime_mean = c.frees ? c.freed_lifetimes / static_cast<double>(c.frees) : 0;
    // The threads that make a share of the class worth replaying on a thread of its own:
    // a main thread that allocates a few of a class does not spread it over one more.
    auto busy = std::count_if(c.per_thread.begin(), c.per_thread.end(),
                              [&c](uint64_t n) { return n * 20 >= c.allocations; });  // 5% or more
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
