#include "trace/prepared.hpp"

#include "common/error.hpp"
#include "trace/hash.hpp"
#include "trace/objects.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>

namespace allocbench::trace {
namespace {

constexpr size_t block_bytes = 1 << 20;

struct Record {
  unsigned char bytes[16];
};

// Feeds bytes [offset, offset + n) of fd to the hasher; false when the file ends first.
bool hash_range(int fd, uint64_t offset, uint64_t n, Hasher& h) {
  std::vector<unsigned char> block(block_bytes);
  while (n > 0) {
    ssize_t got = ::pread(fd, block.data(), std::min<uint64_t>(n, block.size()), static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    h.update(block.data(), static_cast<size_t>(got));
    offset += static_cast<uint64_t>(got);
    n -= static_cast<uint64_t>(got);
  }
  return true;
}

uint64_t table_end(uint32_t threads) {
  uint64_t end = sizeof(PreparedHeader) + uint64_t{threads} * sizeof(PreparedThread);
  return (end + 15) / 16 * 16;
}

[[noreturn]] void write_failed(const std::string& out_path, uint64_t needed, int err) {
  throw run_error("cannot write the prepared replay {} ({} MiB): {}; free disk space, set ALLOCBENCH_CACHE_DIR to "
                  "a larger disk, or run with --no-cache to prepare it in $TMPDIR",
                  out_path, (needed >> 20) + 1, std::strerror(err));
}

void write_at(int fd, const void* data, size_t n, uint64_t offset, const std::string& out_path, uint64_t needed) {
  for (size_t done = 0; done < n;) {
    ssize_t w = ::pwrite(fd, static_cast<const char*>(data) + done, n - done, static_cast<off_t>(offset + done));
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) write_failed(out_path, needed, errno);
    done += static_cast<size_t>(w);
  }
}

// One thread's records, buffered and written at their place in the file, in order.
class RegionWriter {
 public:
  RegionWriter(int fd, uint64_t offset, const std::string& path, uint64_t file_bytes)
      : fd_(fd), offset_(offset), path_(path), file_bytes_(file_bytes) {
    buffer_.reserve(4096);
  }
  template <typename T>
  void put(const T& value) {
    Record r;
    std::memcpy(r.bytes, &value, sizeof r);
    buffer_.push_back(r);
    if (buffer_.size() == buffer_.capacity()) flush();
  }
  void flush() {
    size_t n = buffer_.size() * sizeof(Record);
    hash_.update(buffer_.data(), n);
    write_at(fd_, buffer_.data(), n, offset_, path_, file_bytes_);
    offset_ += n;
    written_ += buffer_.size();
    buffer_.clear();
  }
  uint64_t written() const { return written_ + buffer_.size(); }
  uint64_t hash() const { return hash_.value(); }

 private:
  int fd_;
  uint64_t offset_, written_ = 0;
  const std::string& path_;
  uint64_t file_bytes_;
  std::vector<Record> buffer_;
  Hasher hash_;
};

enum Marks : uint8_t { extended_mark = 1, shared_mark = 2 };

// Past `ulimit -f`, a write raises SIGXFSZ, which would kill the process: ignored while a
// prepared file is written, the write fails with EFBIG instead, and that is reported.
class FileSizeSignalIgnored {
 public:
  FileSizeSignalIgnored() {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    ::sigaction(SIGXFSZ, &ignore, &old_);
  }
  ~FileSizeSignalIgnored() { ::sigaction(SIGXFSZ, &old_, nullptr); }
  FileSizeSignalIgnored(const FileSizeSignalIgnored&) = delete;
  FileSizeSignalIgnored& operator=(const FileSizeSignalIgnored&) = delete;

 private:
  struct sigaction old_ {};
};

uint32_t new_slot(uint32_t& count, const std::string& path) {
  if (count == none - 1) throw usage_error("trace {}: more than {} objects live at once: too many to replay", path, count);
  return count++;
}

// A thread's own slots are reused last-freed first (warm in its cache).
uint32_t local_slot(std::vector<uint32_t>& reusable, uint32_t& count, const std::string& path) {
  if (reusable.empty()) return new_slot(count, path);
  uint32_t slot = reusable.back();
  reusable.pop_back();
  return slot;
}

// The replay's allocation into a shared slot waits until the slot's previous object is
// freed, by another thread, which may lag behind. A slot is reused only once its free is
// this many operations of the program in the past, when that thread has most likely
// made it: the waits stay rare, and the slots few (the live shared objects, and those
// freed in the last stretch of the program).
constexpr uint64_t shared_reuse_distance = 1 << 16;

struct FreedSlot {
  uint32_t slot;
  uint64_t freed_at;
};
uint32_t shared_slot(std::deque<FreedSlot>& reusable, uint64_t now, uint32_t& count, const std::string& path) {
  if (reusable.empty() || now - reusable.front().freed_at < shared_reuse_distance) return new_slot(count, path);
  uint32_t slot = reusable.front().slot;
  reusable.pop_front();
  return slot;
}

}  // namespace

TraceKey trace_key(const InputFile& trace) {
  TraceKey key{0, trace.size()};
  Hasher h;
  if (!hash_range(trace.fd(), 0, key.bytes, h))
    throw usage_error("trace {}: cannot read: {}", trace.path(), errno ? std::strerror(errno) : "it shrank while being read");
  key.hash = h.value();
  return key;
}

void prepare_replay(const InputFile& trace, const TraceKey& key, int out, const std::string& out_path) {
  const std::string& trace_path = trace.path();
  // The second walk must see what the first saw: a file changed in place is refused.
  auto changed = [&] { return usage_error("trace {}: it changed while being prepared for replay", trace_path); };
  uint64_t memory = available_memory() / 2;
  FileSizeSignalIgnored no_signal;

  // First walk: which allocations another thread frees, and each thread's record count.
  std::vector<uint64_t> records;
  std::vector<uint64_t> shared_bits;
  uint64_t operations = 0;
  uint32_t threads = 0;
  {
    TraceStream in(trace);
    operations = in.operations();
    threads = in.threads();
    if (operations / 8 > memory)
      throw run_error("trace {}: {} operations need {} MiB to prepare, {} MiB available", trace_path, operations,
                      operations / 8 >> 20, memory >> 20);
    shared_bits.assign((operations + 63) / 64, 0);
    records.assign(threads, 0);
    walk<Object>(in, memory, [&](const Operation& op, uint64_t, Object* freed, Object* made) {
      bool extended = made && made->size > UINT32_MAX;
      if (freed && freed->thread != op.thread) {
        extended = true;
        shared_bits[freed->index / 64] |= uint64_t{1} << (freed->index % 64);
        if (!(freed->marks & extended_mark)) ++records[freed->thread];  // its allocation gets an Extension
      }
      if (made && extended) made->marks |= extended_mark;
      records[op.thread] += extended ? 2 : 1;
    });
  }

  std::vector<PreparedThread> table(threads);
  uint64_t end = table_end(threads);
  for (uint32_t t = 0; t < threads; ++t) {
    table[t].first_record_offset = end;
    table[t].records = records[t];
    end += records[t] * sizeof(Record);
  }
  // The disk space up front: a full disk is told before the second walk, not after.
  if (int err = ::posix_fallocate(out, 0, static_cast<off_t>(end))) write_failed(out_path, end, err);

  // Second walk: slots, given out in recorded order, and the records, thread by thread.
  std::vector<RegionWriter> writers;
  for (uint32_t t = 0; t < threads; ++t) writers.emplace_back(out, table[t].first_record_offset, out_path, end);
  std::vector<std::vector<uint32_t>> free_local(threads);
  std::vector<uint32_t> local_count(threads, 0), uses;
  std::deque<FreedSlot> free_shared;
  uint32_t shared_count = 0;
  {
    TraceStream in(trace);
    if (in.operations() != operations || in.threads() != threads) throw changed();
    walk<Object>(in, memory, [&](const Operation& op, uint64_t i, Object* freed, Object* made) {
      if (i >= operations || op.thread >= threads) throw changed();
      ReplayOp r{};
      Extension x{};
      r.op = op.op;
      r.slot = r.old_slot = none;
      if (freed) {
        r.old_slot = freed->slot;
        if (freed->marks & shared_mark) {
          r.flags |= ReplayOp::wait;
          x.old_gen = freed->gen;
          free_shared.push_back({freed->slot, i});
        } else {
          free_local[op.thread].push_back(freed->slot);
        }
      }
      if (made) {
        x.size = made->size;
        r.size = made->size > UINT32_MAX ? 0 : static_cast<uint32_t>(made->size);
        r.align_log2 = made->align_log2;
        if (shared_bits[i / 64] >> (i % 64) & 1) {
          made->marks |= shared_mark;
          r.flags |= ReplayOp::notify;
          made->slot = shared_slot(free_shared, i, shared_count, trace_path);
          if (made->slot == uses.size()) uses.push_back(0);
          made->gen = x.gen = ++uses[made->slot];
        } else {
          made->slot = local_slot(free_local[op.thread], local_count[op.thread], trace_path);
        }
        r.slot = made->slot;
      }
      if (r.flags || x.size > UINT32_MAX) r.flags |= ReplayOp::extended;
      RegionWriter& w = writers[op.thread];
      if (w.written() + (r.flags & ReplayOp::extended ? 2 : 1) > table[op.thread].records) throw changed();
      w.put(r);
      if (r.flags & ReplayOp::extended) w.put(x);
    });
    for (auto& w : writers) w.flush();
  }

  PreparedHeader h{};
  std::memcpy(h.magic, prepared_magic, sizeof h.magic);
  h.version = prepared_version;
  h.threads = threads;
  h.trace_hash = key.hash;
  h.trace_bytes = key.bytes;
  h.operations = operations;
  h.shared_slots = shared_count;
  Hasher all;
  all.update(&h, sizeof h);
  for (uint32_t t = 0; t < threads; ++t) {
    if (writers[t].written() != table[t].records) throw changed();
    table[t].local_slots = local_count[t];
  }
  for (const PreparedThread& t : table) all.update(&t, sizeof t);
  for (const auto& w : writers) all.add(w.hash());
  h.hash = all.value();

  std::vector<unsigned char> head(table_end(threads), 0);
  std::memcpy(head.data(), &h, sizeof h);
  for (size_t t = 0; t < table.size(); ++t)
    std::memcpy(head.data() + sizeof h + t * sizeof(PreparedThread), &table[t], sizeof(PreparedThread));
  write_at(out, head.data(), head.size(), 0, out_path, end);
}

PreparedReplay read_prepared(const InputFile& file, bool verify) {
  const std::string& path = file.path();
  uint64_t size = file.size();
  int fd = file.fd();
  auto bad = [&](std::string_view why) { return usage_error("prepared replay {}: {}", path, why); };
  PreparedReplay p{};
  if (size < sizeof p.header || ::pread(fd, &p.header, sizeof p.header, 0) != sizeof p.header)
    throw bad("shorter than its header");
  if (std::memcmp(p.header.magic, prepared_magic, sizeof prepared_magic) != 0) throw bad("not a prepared replay");
  if (p.header.version != prepared_version)
    throw bad(fmt::format("format version {}, expected {}", p.header.version, prepared_version));
  if (table_end(p.header.threads) > size) throw bad("its thread table is cut short");
  p.threads.resize(p.header.threads);
  size_t table_bytes = p.threads.size() * sizeof(PreparedThread);
  if (table_bytes > 0 && ::pread(fd, p.threads.data(), table_bytes, sizeof p.header) != static_cast<ssize_t>(table_bytes))
    throw bad("its thread table cannot be read");
  uint64_t expected = table_end(p.header.threads);
  for (const PreparedThread& t : p.threads) {
    if (t.first_record_offset != expected || t.records > (size - expected) / sizeof(Record) || t.local_slots >= none)
      throw bad("its thread table does not match its size");
    expected += t.records * sizeof(Record);
  }
  if (expected != size) throw bad(fmt::format("{} bytes, its thread table says {}", size, expected));
  if (!verify) return p;

  PreparedHeader h = p.header;
  h.hash = 0;
  Hasher all;
  all.update(&h, sizeof h);
  for (const PreparedThread& t : p.threads) all.update(&t, sizeof t);
  for (const PreparedThread& t : p.threads) {
    Hasher region;
    if (!hash_range(fd, t.first_record_offset, t.records * sizeof(Record), region)) throw bad("cut short");
    all.add(region.value());
  }
  if (all.value() != p.header.hash) throw bad("its content does not match its hash");
  return p;
}

}  // namespace allocbench::trace
