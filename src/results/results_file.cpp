#include "results/results_file.hpp"

#include "common/error.hpp"
#include "results/baseline.hpp"
#include "results/metrics.hpp"
#include "results/json_checker.hpp"
#include "results/results_json.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <sys/stat.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

namespace allocbench {
namespace {

using nlohmann::json;

constexpr size_t max_file_bytes = 256u << 20;
constexpr int max_depth = 32;  // the schema needs 5; the parser recurses, so deep input is refused first

std::string read_whole(const std::string& path, const Checker& c) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) c.fail("cannot open: {}", std::strerror(errno));
  if (S_ISDIR(st.st_mode)) c.fail("is a directory, expected a results JSON file");
  if (static_cast<size_t>(st.st_size) > max_file_bytes)
    c.fail("is {} MiB, more than the {} MiB a results file can be", st.st_size >> 20, max_file_bytes >> 20);
  std::ifstream in(path, std::ios::binary);
  if (!in) c.fail("cannot open: {}", std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The JSON parser recurses per nesting level: refuse deep input before it is parsed.
void check_depth(const std::string& text, const Checker& c) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char ch = text[i];
    if (in_string) {
      if (escaped) escaped = false;
      else if (ch == '\\') escaped = true;
      else if (ch == '"') in_string = false;
    } else if (ch == '"') {
      in_string = true;
    } else if (ch == '[' || ch == '{') {
      if (++depth > max_depth) c.fail("nested more than {} levels deep at byte {}: not a results file", max_depth, i);
    } else if (ch == ']' || ch == '}') {
      --depth;
    }
  }
}

void check_schema(const json& root, const Checker& c) {
  const std::string expected = results_schema;
  const std::string prefix = expected.substr(0, expected.rfind('/') + 1);
  auto it = root.find("schema");
  if (it == root.end()) c.fail("schema: missing, expected \"{}\": is this an allocbench results file?", expected);
  if (!it->is_string()) c.expected("schema", ("\"" + expected + "\"").c_str(), &*it);
  std::string schema = it->get<std::string>();
  if (schema == expected) return;
  if (schema.rfind(prefix, 0) == 0)
    c.fail("schema: \"{}\" is a version this allocbench does not read (it reads \"{}\"); use the allocbench that "
           "wrote it, or a newer one",
           schema, expected);
  c.fail("schema: expected \"{}\", got \"{}\"", expected, schema);
}

// `where` is the path of the object holding it: "" for the file's, "results[3]" for an entry's.
Environment read_environment(const json& holder, const std::string& where, const Checker& c) {
  const json& e = c.object(holder, where, "environment");
  std::string at = Checker::join(where, "environment");
  Environment env;
  env.host = c.string(e, at, "host");
  env.cpu = c.string(e, at, "cpu");
  env.cores = static_cast<unsigned>(c.count(e, at, "cores"));
  env.kernel = c.string(e, at, "kernel");
  env.compiler = c.string(e, at, "compiler");
  env.build_type = c.string(e, at, "build_type");
  env.allocbench_version = c.string(e, at, "allocbench_version");
  env.git_commit = c.string(e, at, "git_commit");
  if (e.contains("valgrind")) env.valgrind = c.string(e, at, "valgrind");  // files before --measure instructions
  if (e.contains("latency_clock")) env.latency_clock = c.string(e, at, "latency_clock");  // files before --latency
  return env;
}

Summary read_summary(const json& m, const std::string& where, const Checker& c) {
  if (!m.is_object()) c.expected(where, "an object with median, min, max and samples", &m);
  Summary s;
  s.median = c.number(c.member(m, "median"), where + ".median");
  s.min = c.number(c.member(m, "min"), where + ".min");
  s.max = c.number(c.member(m, "max"), where + ".max");
  const json& samples = c.array(m, where, "samples");
  if (samples.empty()) c.fail("{}.samples: expected at least one sample, got []", where);
  for (size_t i = 0; i < samples.size(); ++i)
    s.samples.push_back(c.number(samples[i], fmt::format("{}.samples[{}]", where, i)));
  if (!(s.min <= s.median && s.median <= s.max))
    c.fail("{}: expected min <= median <= max, got {} / {} / {}", where, s.min, s.median, s.max);
  return s;
}

// `file_environment` serves entries written before each entry kept its own.
Result read_result(const json& r, const std::string& where, const Environment& file_environment, const Checker& c) {
  if (!r.is_object()) c.expected(where, "an object", &r);
  Result res;
  res.environment = r.contains("environment") ? read_environment(r, where, c) : file_environment;
  res.backend = c.string(r, where, "backend");
  res.backend_version = c.string(r, where, "backend_version");
  res.malloc_provider = c.string(r, where, "malloc_provider");
  res.workload = c.string(r, where, "workload");
  if (r.contains("directory")) res.directory = c.string(r, where, "directory");  // cmd: workloads only
  if (r.contains("measure")) {  // files before --measure instructions are all wall time
    res.measure = c.string(r, where, "measure");
    if (res.measure != measure_wall && res.measure != measure_instructions)
      c.fail("{}.measure: expected \"{}\" or \"{}\", got \"{}\"", where, measure_wall, measure_instructions, res.measure);
  }
  for (const auto& [k, v] : c.object(r, where, "params").items()) {
    if (!v.is_number_integer()) c.expected(where + ".params." + k, "an integer", &v);
    res.params[k] = v.get<int64_t>();
  }
  res.seed = c.count(r, where, "seed");
  res.threads = static_cast<unsigned>(c.count(r, where, "threads"));
  res.counting = c.boolean(r, where, "counting");
  res.checksum = c.string(r, where, "checksum");
  res.reps = static_cast<int>(c.count(r, where, "reps"));
  if (res.reps < 1) c.fail("{}.reps: expected at least 1, got 0", where);
  res.peak_live_error_bound = static_cast<int64_t>(c.count(r, where, "peak_live_error_bound"));
  res.peak_rss_reset = c.boolean(r, where, "peak_rss_reset");
  res.unsized_frees = static_cast<int64_t>(c.count(r, where, "unsized_frees"));
  for (const auto& [k, v] : c.object(r, where, "stats").items())
    res.stats[k] = c.number(v, where + ".stats." + k);
  // Optional: files written before backend settings and allocator statistics existed.
  res.settings = read_settings(r, where, c);
  if (r.contains("allocator_stats"))
    for (const auto& [k, v] : c.object(r, where, "allocator_stats").items())
      res.metrics[std::string(allocator_stat_prefix) + k] = read_summary(v, where + ".allocator_stats." + k, c);
  res.timeline = read_timeline(r, where, c);
  res.leak_sites = read_leak_sites(r, where, c);
  res.slow_calls = read_slow_calls(r, where, c);
  const json& metrics = c.object(r, where, "metrics");
  const char* timed = res.measure == measure_wall ? "wall_ns" : "instructions";  // what every such entry has
  if (!metrics.contains(timed))
    c.fail("{}.metrics.{}: missing, expected an object with median, min, max and samples", where, timed);
  for (const auto& [k, v] : metrics.items())
    if (find_metric(k)) res.metrics[k] = read_summary(v, where + ".metrics." + k, c);  // unknown: a newer metric
  return res;
}

}  // namespace

Results read_results_file(const std::string& path, std::string_view role) {
  return parse_results_text(read_whole(path, Checker(fmt::format("{} '{}'", role, path))), path, role);
}

Results parse_results_text(const std::string& text, const std::string& path, std::string_view role) {
  Checker c(fmt::format("{} '{}'", role, path));
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) c.fail("is empty, expected a results JSON file");
  check_depth(text, c);
  json root;
  try {
    root = json::parse(text);
  } catch (const json::exception& e) {  // parse errors, and numbers out of range such as 1e999
    std::string what = e.what();
    auto bracket = what.find("] ");
    c.fail("not valid JSON ({})", bracket == std::string::npos ? what : what.substr(bracket + 2));
  }
  if (!root.is_object()) c.fail("expected a JSON object at the top level, got {}", root.type_name());
  check_schema(root, c);

  Results results;
  results.environment = read_environment(root, "", c);
  const json& list = c.array(root, "", "results");
  std::set<ResultKey> seen;
  for (size_t i = 0; i < list.size(); ++i) {
    std::string where = fmt::format("results[{}]", i);
    Result r = read_result(list[i], where, results.environment, c);
    if (!seen.insert(key_of(r)).second)
      c.fail("{}: a second entry for backend '{}', workload '{}' with the same params, seed and threads", where,
             r.backend, r.workload);
    results.results.push_back(std::move(r));
  }
  return results;
}

std::string results_file_text(const Results& results) { return to_json(results).dump(2) + "\n"; }

}  // namespace allocbench
