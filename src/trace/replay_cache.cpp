#include "trace/replay_cache.hpp"

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "trace/prepared.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <system_error>

namespace allocbench::trace {
namespace fs = std::filesystem;
namespace {

bool is_ours(const fs::path& p) {
  std::string name = p.filename().string();
  return name.ends_with(".replay") || name.find(".replay.tmp.") != std::string::npos;
}

}  // namespace

std::string cache_directory() {
  if (const char* dir = std::getenv("ALLOCBENCH_CACHE_DIR"); dir && *dir) return dir;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return (fs::path(xdg) / "allocbench").string();
  if (const char* home = std::getenv("HOME"); home && *home) return (fs::path(home) / ".cache" / "allocbench").string();
  return (fs::temp_directory_path() / "allocbench-cache").string();
}

std::string prepared_file(const std::string& trace_path, const std::string& dir) {

  InputFile trace(trace_path, "trace");  // both walks read these bytes, whatever the path holds meanwhile
  TraceKey key = trace_key(trace);
  auto unusable = [&](const std::string& why) {
    return run_error("the replay cache {}: {}; set ALLOCBENCH_CACHE_DIR to a writable directory, or run with "
                     "--no-cache",
                     dir, why);
  };
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw unusable("cannot create it: " + ec.message());
  std::string file = (fs::path(dir) / fmt::format("{:016x}-{}.v{}.replay", key.hash, key.bytes, prepared_version)).string();
  if (fs::exists(file, ec)) {
    try {
      PreparedReplay p = read_prepared(InputFile(file, "prepared replay"), true);
      if (p.header.trace_hash == key.hash && p.header.trace_bytes == key.bytes) return file;
      fmt::print(stderr, "allocbench: the prepared replay {} was made from another trace: preparing it again\n", file);
    } catch (const Error& e) {
      fmt::print(stderr, "allocbench: {}: preparing it again\n", e.what());
    }
  }
  auto start = std::chrono::steady_clock::now();
  std::optional<AtomicFile> out;
  try {
    out.emplace(file, "the replay cache");
  } catch (const Error& e) {
    throw unusable(e.what());
  }
  prepare_replay(trace, key, out->fd(), file);
  try {
    out->commit(false);  // a file lost in a crash is rebuilt: its hash tells
  } catch (const Error& e) {
    throw unusable(e.what());
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  uintmax_t bytes = fs::file_size(file, ec);
  fmt::print(stderr, "allocbench: prepared {} for replay in {:.1f} s: {:.1f} MiB in {}\n", trace_path, seconds,
             ec ? 0.0 : static_cast<double>(bytes) / (1 << 20), file);
  return file;
}

Cleared clear_cache() {
  Cleared c;
  std::string dir = cache_directory();
  std::error_code ec;
  // error_code forms throughout: a file another run removes meanwhile is simply gone.
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec) || !is_ours(it->path())) continue;
    uint64_t bytes = it->file_size(ec);
    if (ec) continue;
    if (fs::remove(it->path(), ec)) ++c.files, c.bytes += bytes;
    else if (ec) throw run_error("the replay cache {}: cannot remove {}: {}", dir, it->path().string(), ec.message());
  }
  if (ec && ec != std::errc::no_such_file_or_directory)
    throw run_error("the replay cache {}: cannot list it: {}", dir, ec.message());
  return c;
}

}  // namespace allocbench::trace
