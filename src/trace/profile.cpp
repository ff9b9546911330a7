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

const std::vector<std::string>& header_fields() {
  static const std::vector<std::string> names{"size_min", "size_max", "rate",    "live",
                                              "kept",     "lifetimes", "threads", "remote_percent"};
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

  // One number for every tenth of the run, or ten separated by ';'.
  Tenths tenths(size_t i, double max) const {
    Tenths out{};
    std::vector<std::string> parts = parts_of(i);
    std::string expected = fmt::format("a number from 0 to {}, or ten separated by ';' (one per tenth of the run)", max);
    if (parts.size() != 1 && parts.size() != out.size()) fail(i, expected);
    for (size_t d = 0; d < out.size(); ++d) {
      const std::string& text = parts[parts.size() == 1 ? 0 : d];
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out[d]);
      if (ec != std::errc() || end != text.data() + text.size() || !(out[d] >= 0 && out[d] <= max)) fail(i, expected);
    }
    return out;
  }

  // Lifetime weights separated by ';', up to lifetime_buckets of them; empty: none.
  std::array<uint64_t, lifetime_buckets> weights(size_t i) const {
    std::array<uint64_t, lifetime_buckets> out{};
    std::vector<std::string> parts = parts_of(i);
    std::string expected = fmt::format("at most {} whole numbers separated by ';'", lifetime_buckets);
    if (parts.size() > out.size()) fail(i, expected);
    for (size_t b = 0; b < parts.size(); ++b) {
      auto [end, ec] = std::from_chars(parts[b].data(), parts[b].data() + parts[b].size(), out[b]);
      if (ec != std::errc() || end != parts[b].data() + parts[b].size() || out[b] > UINT64_MAX / 1024) fail(i, expected);
    }
    return out;
  }

  // Field i's values separated by ';', as they are (no blanks trimmed).
  std::vector<std::string> parts_of(size_t i) const {
    std::vector<std::string> parts;
    std::istringstream in(values_[i]);
    for (std::string part; std::getline(in, part, ';');) parts.push_back(part);
    return parts;
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

std::string tenths_text(const Tenths& values) {
  if (std::all_of(values.begin(), values.end(), [&values](double v) { return v == values[0]; }))
    return number_text(values[0]);
  std::vector<std::string> parts;
  for (double v : values) parts.push_back(number_text(v));
  return fmt::format("{}", fmt::join(parts, ";"));
}

std::string weights_text(const std::array<uint64_t, lifetime_buckets>& weights) {
  size_t used = weights.size();
  while (used > 0 && weights[used - 1] == 0) --used;
  return fmt::format("{}", fmt::join(weights.begin(), weights.begin() + static_cast<ptrdiff_t>(used), ";"));
}

// What profile_of_trace keeps of a live object.
struct ProfiledObject : Allocation {
  uint32_t thread = 0;
  static ProfiledObject made_by(uint64_t index, const Operation& op) { return {{index, op.size}, op.thread}; }
};

struct ClassCounts {
  uint64_t allocations = 0, frees = 0, remote_frees = 0;
  std::array<uint64_t, 10> per_tenth{};  // allocations, by tenth of the run
  std::array<uint64_t, lifetime_buckets> freed{}, cut_short{};  // by lifetime; live at the end, by age then
  double lifetime_sum = 0;  // Σ (free or end − birth)
  std::vector<uint64_t> per_thread;  // allocations
  uint64_t size_min = UINT64_MAX, size_max = 0;
};

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

double ProfileClass::mean_rate() const {
  double sum = 0;
  for (double r : rate) sum += r;
  return sum / static_cast<double>(rate.size());
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
  std::vector<size_t> lines;  // of each class
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
    c.rate = f.tenths(2, 1000);
    if (c.mean_rate() < 1e-6) f.fail(2, "a rate of at least 0.00001 in some tenth of the run");
    c.live = f.number(3, 0, 1e9);
    c.kept = f.tenths(4, 100);
    c.lifetimes = f.weights(5);
    c.threads = static_cast<unsigned>(f.integer(6, 1, profile_max_threads));
    c.remote_percent = f.number(7, 0, 100);
    p.classes.push_back(c);
    lines.push_back(number);
  }
  if (!header) throw usage_error("profile {}: expected the header '{}', found none", path, fmt::join(names, ","));
  if (p.classes.empty()) throw usage_error("profile {}: expected at least one size class after the header", path);
  for (size_t d = 0; d < 10; ++d) {
    double rates = 0;
    for (const auto& c : p.classes) rates += c.rate[d];
    if (rates > 1000 * (1 + 1e-5))  // a file this program wrote rounds its rates to six digits
      throw usage_error("profile {}, lines {}-{}, field rate: in tenth {} of the run the rates add up to {} "
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
  std::string out = fmt::format("# {}\n{}\n", comment, fmt::join(header_fields(), ","));
  for (const auto& c : profile.classes)
    out += fmt::format("{},{},{},{},{},{},{},{}\n", c.size_min, c.size_max, tenths_text(c.rate),
                       number_text(c.live), tenths_text(c.kept), weights_text(c.lifetimes), c.threads,
                       number_text(c.remote_percent));
  return out;
}

Profile profile_of_trace(const std::string& path) {
  TraceStream in(path);
  const uint64_t total = in.operations();
  auto tenth = [total](uint64_t index) { return std::min<size_t>(9, index * 10 / std::max<uint64_t>(total, 1)); };
  std::map<size_t, ClassCounts> counts;
  std::unordered_map<uint64_t, ProfiledObject> alive;  // by address: what is live at the end was kept
  // The profile's clock counts allocations and frees, as a replay makes them: a realloc is
  // both, and a free of an object the trace never allocated neither.
  uint64_t operations = 0;
  std::array<uint64_t, 10> tenth_operations{};
  auto class_of = [](uint64_t size) { return size_classes::class_of(std::min<uint64_t>(size, profile_largest_size)); };
  walk<ProfiledObject>(in, available_memory() / 2,
                       [&](const Operation& op, uint64_t index, const ProfiledObject* freed, ProfiledObject* made) {
                         if (freed) {
                           ClassCounts& c = counts[class_of(freed->size)];
                           uint64_t lifetime = operations - freed->index;
                           ++c.frees;
                           c.remote_frees += freed->thread != op.thread;
                           c.lifetime_sum += static_cast<double>(lifetime);
                           ++c.freed[lifetime_bucket(lifetime)];
                           alive.erase(op.address);
                           ++operations;
                           ++tenth_operations[tenth(index)];
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
                           made->index = operations;
                           alive[op.op == Op::realloc_ ? op.address2 : op.address] = *made;
                           ++operations;
                           ++tenth_operations[tenth(index)];
                         }
                       });
  if (operations == 0) throw usage_error("trace {}: it holds no operations to make a profile of", path);
  for (const auto& [address, o] : alive) {
    ClassCounts& c = counts[class_of(o.size)];
    uint64_t age = operations - o.index;
    ++c.cut_short[lifetime_bucket(age)];
    c.lifetime_sum += static_cast<double>(age);
  }
  Profile p;
  for (const auto& [cls, c] : counts) {
    if (!c.allocations) continue;  // frees only: of objects allocated before the recording began
    ProfileClass pc;
    pc.size_min = c.size_min;
    pc.size_max = c.size_max;
    for (size_t d = 0; d < pc.rate.size(); ++d)
      pc.rate[d] = tenth_operations[d]
                       ? static_cast<double>(c.per_tenth[d]) * 1000 / static_cast<double>(tenth_operations[d])
                       : 0;
    pc.live = c.lifetime_sum / static_cast<double>(operations);  // Little's law, over the whole recording
    // The life table: in each bucket, the share of the objects alive at its start that are
    // freed in it; those still live at the end are at risk only half of the bucket they end in.
    double at_risk = static_cast<double>(c.allocations), surviving = 1;
    std::array<double, lifetime_buckets> weights{};
    for (size_t b = 0; b < weights.size(); ++b) {
      double deaths = static_cast<double>(c.freed[b]), cut = static_cast<double>(c.cut_short[b]);
      double hazard = at_risk - cut / 2 > 0 ? std::min(1.0, deaths / (at_risk - cut / 2)) : 0;
      weights[b] = surviving * hazard;
      surviving -= weights[b];
      at_risk -= deaths + cut;
    }
    pc.kept.fill(100 * std::max(0.0, surviving));
    double scale = static_cast<double>(c.allocations);
    for (size_t b = 0; b < weights.size(); ++b) pc.lifetimes[b] = static_cast<uint64_t>(std::llround(weights[b] * scale));
    // The threads that make a share of the class worth replaying on a thread of its own:
    // a main thread that allocates a few of a class does not spread it over one more.
    uint64_t allocations = c.allocations;  // a structured binding, which older compilers cannot capture
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
