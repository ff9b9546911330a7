#include "trace/reader.hpp"

#include "common/error.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <tuple>

namespace allocbench::trace {
namespace {

// An operation as decoded, before objects have identities.
struct Raw {
  uint64_t seq, time_us, address, address2, size;
  uint32_t thread;
  uint32_t object = no_object;  // frees and realloc: the operation that allocated what is freed
  Op op;
  uint8_t align_log2;
};

// The file, mapped read-only for the length of the read.
class MappedFile {
 public:
  explicit MappedFile(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw usage_error("trace {}: cannot open: {}", path, std::strerror(errno));
    struct stat st {};
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd);
      throw usage_error("trace {}: not a regular file", path);
    }
    size_ = static_cast<size_t>(st.st_size);
    if (size_ > 0) {
      void* m = mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
      if (m == MAP_FAILED) {
        ::close(fd);
        throw usage_error("trace {}: cannot read: {}", path, std::strerror(errno));
      }
      data_ = static_cast<const unsigned char*>(m);
    }
    ::close(fd);
  }
  ~MappedFile() {
    if (data_) munmap(const_cast<unsigned char*>(data_), size_);
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  const unsigned char* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  const unsigned char* data_ = nullptr;
  size_t size_ = 0;
};

// Reads fields from [at, end); every error names the file and the offset it happened at.
class Cursor {
 public:
  Cursor(const std::string& path, const unsigned char* base, size_t at, size_t end)
      : path_(path), base_(base), at_(at), end_(end) {}

  size_t offset() const { return at_; }
  bool done() const { return at_ >= end_; }

  template <typename... Args>
  [[noreturn]] void fail(size_t offset, fmt::format_string<Args...> f, Args&&... args) const {
    throw usage_error("trace {}: offset {}: {}", path_, offset, fmt::format(f, std::forward<Args>(args)...));
  }

  void need(size_t n, const char* what) const {
    if (end_ - at_ < n)
      fail(at_, "{} is cut short ({} bytes needed, {} left): the file is truncated", what, n, end_ - at_);
  }
  // The next n bytes as a cursor of their own; this one moves past them.
  Cursor take(size_t n, const char* what) {
    need(n, what);
    Cursor part(path_, base_, at_, at_ + n);
    at_ += n;
    return part;
  }
  uint32_t u32(const char* what) { return fixed<uint32_t>(what); }
  uint64_t u64(const char* what) { return fixed<uint64_t>(what); }
  uint8_t u8(const char* what) {
    need(1, what);
    return base_[at_++];
  }
  uint64_t varint(const char* what) {
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
      uint8_t byte = u8(what);
      v |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return v;
    }
    fail(at_, "{}: a number longer than 64 bits", what);
  }

 private:
  template <typename T>
  T fixed(const char* what) {
    need(sizeof(T), what);
    T v;
    std::memcpy(&v, base_ + at_, sizeof v);
    at_ += sizeof v;
    return v;
  }

  const std::string& path_;
  const unsigned char* base_;
  size_t at_, end_;
};

void decode_chunk(Cursor& in, mapped_vector<Raw>& out) {
  size_t chunk_at = in.offset() - 4;
  uint32_t thread = in.u32("a chunk header");
  uint32_t events = in.u32("a chunk header");
  uint32_t payload = in.u32("a chunk header");
  uint64_t seq = in.u64("a chunk header");
  uint64_t time = in.u64("a chunk header");
  Cursor c = in.take(payload, "a chunk");
  uint64_t address = 0;
  for (uint32_t i = 0; i < events; ++i) {
    size_t at = c.offset();
    if (c.done()) c.fail(chunk_at, "the chunk holds {} events but its payload ends after {}", events, i);
    Raw r{};
    uint8_t op = c.u8("an event");
    if (op >= static_cast<uint8_t>(Op::count_)) c.fail(at, "unknown operation code {}", op);
    r.op = static_cast<Op>(op);
    seq += c.varint("an event's sequence number");
    time += c.varint("an event's time");
    address += static_cast<uint64_t>(unzigzag(c.varint("an event's address")));
    r.address = address;
    if (r.op == Op::realloc_)
      address = r.address2 = address + static_cast<uint64_t>(unzigzag(c.varint("realloc's new address")));
    if (!is_free(r.op)) r.size = c.varint("an event's size");
    if (is_aligned_allocation(r.op)) {
      r.align_log2 = c.u8("an event's alignment");
      if (r.align_log2 > 40) c.fail(at, "alignment 2^{} is out of range", r.align_log2);
    }
    r.seq = seq;
    r.time_us = time;
    r.thread = thread;
    out.push_back(r);
  }
  if (!c.done()) c.fail(c.offset(), "bytes left over after the chunk's {} events", events);
}

struct Contents {
  mapped_vector<Raw> ops;
  bool complete = false;
  uint64_t dropped = 0;
};

Contents decode(const std::string& path, const MappedFile& file) {
  Cursor in(path, file.data(), 0, file.size());
  Cursor header = in.take(header_bytes, "the file header");
  char m[sizeof magic];
  for (char& ch : m) ch = static_cast<char>(header.u8("the file header"));
  if (std::memcmp(m, magic, sizeof magic) != 0) header.fail(0, "not an allocbench trace (no 'ALLOCTRC' header)");
  uint32_t v = header.u32("the file header");
  if (v != version) header.fail(8, "trace format version {}; this allocbench reads version {}", v, version);

  Contents out;
  while (!in.done()) {
    size_t at = in.offset();
    uint32_t tag = in.u32("a record tag");
    if (tag == chunk_tag) {
      decode_chunk(in, out.ops);
    } else if (tag == end_tag) {
      Cursor end = in.take(end_record_bytes - 4, "the end record");
      end.u32("the end record");
      uint64_t events = end.u64("the end record");
      out.dropped = end.u64("the end record");
      if (events != out.ops.size())
        in.fail(at, "the end record counts {} operations, the chunks hold {}", events, out.ops.size());
      if (!in.done()) in.fail(in.offset(), "data after the end record");
      out.complete = true;
    } else {
      in.fail(at, "unknown record tag {:#010x}", tag);
    }
  }
  if (out.ops.size() >= no_object) in.fail(0, "more than {} operations: too many to replay", no_object - 1);
  return out;
}

// Gives every free (and realloc) the operation that allocated what it frees, walking
// each address's operations in recorded order. Counts what does not pair up.
void pair_frees(mapped_vector<Raw>& ops, TraceSummary& s) {
  struct Ref {
    uint64_t address;
    uint32_t op;
    uint32_t allocates;  // 0: frees (sorted first: realloc frees before it allocates)
    bool operator<(const Ref& o) const {
      return std::tie(address, op, allocates) < std::tie(o.address, o.op, o.allocates);
    }
  };
  mapped_vector<Ref> refs;
  refs.reserve(ops.size() + ops.size() / 8);
  for (uint32_t i = 0; i < ops.size(); ++i) {
    const Raw& r = ops[i];
    if (r.op == Op::realloc_) {
      refs.push_back({r.address, i, 0});
      refs.push_back({r.address2, i, 1});
    } else {
      refs.push_back({r.address, i, is_free(r.op) ? 0u : 1u});
    }
  }
  std::sort(refs.begin(), refs.end());
  uint32_t open = no_object;
  bool freed_before = false;
  for (size_t k = 0; k < refs.size(); ++k) {
    const Ref& ref = refs[k];
    if (k == 0 || ref.address != refs[k - 1].address) {
      open = no_object;
      freed_before = false;
    }
    if (ref.allocates) {
      if (open != no_object) ++s.reused_addresses;
      open = ref.op;
    } else if (open != no_object) {
      ops[ref.op].object = open;
      open = no_object;
      freed_before = true;
    } else {
      ++(freed_before ? s.double_frees : s.unknown_frees);
    }
  }
}

size_t bucket(uint64_t value, const auto& bounds) {
  return static_cast<size_t>(std::lower_bound(bounds.begin(), bounds.end(), value) - bounds.begin());
}

// Live bytes, the peak, sizes and lifetimes, in recorded order.
void summarise(const mapped_vector<Raw>& ops, TraceSummary& s) {
  int64_t live = 0;
  int64_t live_objects = 0;
  for (size_t i = 0; i < ops.size(); ++i) {
    const Raw& r = ops[i];
    ++s.per_op[static_cast<size_t>(r.op)];
    if (r.object != no_object) {  // a free of a known object, first: as the replay counts a realloc
      live -= static_cast<int64_t>(ops[r.object].size);
      --live_objects;
      ++s.frees;
      ++s.lifetimes[bucket(i - r.object, lifetime_bounds)];
    }
    if (!is_free(r.op)) {
      live += static_cast<int64_t>(r.size);
      ++live_objects;
      ++s.allocations;
      s.bytes_allocated += r.size;
      ++s.sizes[bucket(r.size, size_bounds)];
    }
    if (live > static_cast<int64_t>(s.peak_live_bytes)) {
      s.peak_live_bytes = static_cast<uint64_t>(live);
      s.peak_at = i;
    }
  }
  s.live_bytes_at_end = static_cast<uint64_t>(live);
  s.live_objects_at_end = static_cast<uint64_t>(live_objects);
  s.operations = ops.size();
  if (!ops.empty()) s.duration_us = ops.back().time_us - ops.front().time_us;
}

// The replay's operations, thread by thread in recorded order, each carrying what it
// needs, with slots given out in recorded order: a thread reuses a slot only after
// its own free of the slot's object, so no thread ever waits on a reused slot.
void build_replay(const mapped_vector<Raw>& raw, Trace& t) {
  const uint32_t threads = t.summary.threads;
  mapped_vector<uint32_t> freed_on(raw.size(), no_object);  // allocation → the thread that frees it
  for (const Raw& r : raw)
    if (r.object != no_object) freed_on[r.object] = r.thread;
  auto shared = [&](uint32_t object) { return freed_on[object] != no_object && freed_on[object] != raw[object].thread; };

  mapped_vector<uint32_t> slot_of(raw.size(), no_object);
  std::vector<mapped_vector<uint32_t>> free_slots(threads);
  t.local_slots.assign(threads, 0);
  t.thread_begin.assign(threads + 1, 0);
  for (uint32_t i = 0; i < threads; ++i) t.thread_begin[i + 1] = t.thread_begin[i] + t.summary.operations_per_thread[i];
  std::vector<size_t> next(t.thread_begin.begin(), t.thread_begin.end() - 1);
  t.ops.resize(raw.size());

  for (uint32_t i = 0; i < raw.size(); ++i) {
    const Raw& r = raw[i];
    ReplayOp op{};
    op.op = r.op;
    op.old_slot = no_object;
    if (r.object != no_object) {  // frees an object: its slot is free again for its thread
      const Raw& freed = raw[r.object];
      op.old_size = freed.size;
      op.old_slot = slot_of[r.object];
      op.old_op = freed.op;
      op.old_align_log2 = freed.align_log2;
      if (shared(r.object)) op.flags |= ReplayOp::wait;
      else free_slots[r.thread].push_back(op.old_slot);
      slot_of[r.object] = no_object;
    }
    if (!is_free(r.op)) {
      op.size = r.size;
      op.align_log2 = r.align_log2;
      if (shared(i)) {
        op.flags |= ReplayOp::notify;
        op.slot = t.shared_slots++;
      } else if (auto& reusable = free_slots[r.thread]; !reusable.empty()) {
        op.slot = reusable.back();
        reusable.pop_back();
      } else {
        op.slot = t.local_slots[r.thread]++;
      }
      slot_of[i] = op.slot;
    }
    t.ops[next[r.thread]++] = op;
  }
  for (uint32_t i = 0; i < raw.size(); ++i)
    if (slot_of[i] != no_object)
      t.live_at_end.push_back({raw[i].size, slot_of[i], raw[i].thread, raw[i].op, raw[i].align_log2});
}

// The operations in recorded order. The recorder numbers every call, so sequence
// numbers are dense and each operation is placed by its number in linear time; a trace
// whose numbers are far apart is sorted instead. Both find two operations with one
// number, which only a corrupt file has. In place: a sort's buffer would come from the
// heap of the allocator a replay measures.
void order_by_seq(mapped_vector<Raw>& raw, const std::string& path) {
  auto duplicate = [&](uint64_t seq) {
    return usage_error("trace {}: two operations share the sequence number {}: the file is corrupt", path, seq);
  };
  if (raw.empty()) return;
  auto [low, high] = std::minmax_element(raw.begin(), raw.end(), [](const Raw& a, const Raw& b) { return a.seq < b.seq; });
  uint64_t first = low->seq, span = high->seq - first + 1;
  if (span == 0 || span > 2 * raw.size()) {
    std::sort(raw.begin(), raw.end(), [](const Raw& a, const Raw& b) { return a.seq < b.seq; });
    for (size_t i = 1; i < raw.size(); ++i)
      if (raw[i].seq == raw[i - 1].seq) throw duplicate(raw[i].seq);
    return;
  }
  mapped_vector<uint32_t> rank(raw.size());
  {
    mapped_vector<uint32_t> at(span, no_object);  // sequence number - first → operation
    for (uint32_t i = 0; i < raw.size(); ++i) {
      uint32_t& slot = at[raw[i].seq - first];
      if (slot != no_object) throw duplicate(raw[i].seq);
      slot = i;
    }
    uint32_t next = 0;
    for (uint32_t i : at)
      if (i != no_object) rank[i] = next++;
  }
  // Each operation moves to its rank, one cycle of the permutation at a time.
  for (uint32_t i = 0; i < raw.size(); ++i)
    while (rank[i] != i) {
      std::swap(raw[i], raw[rank[i]]);
      std::swap(rank[i], rank[rank[i]]);
    }
}

// Threads numbered densely in the recorder's order (the first to allocate is 0).
std::map<uint32_t, uint32_t> thread_numbers(const mapped_vector<Raw>& raw) {
  std::map<uint32_t, uint32_t> dense;
  for (const Raw& r : raw) dense.emplace(r.thread, 0);
  uint32_t n = 0;
  for (auto& [id, index] : dense) index = n++;
  return dense;
}

}  // namespace

TraceShape check_trace(const std::string& path) {
  MappedFile file(path);
  Contents contents = decode(path, file);
  order_by_seq(contents.ops, path);
  return {contents.ops.size(), static_cast<unsigned>(thread_numbers(contents.ops).size())};
}

Trace read_trace(const std::string& path) {
  MappedFile file(path);
  Contents contents = decode(path, file);
  mapped_vector<Raw>& raw = contents.ops;
  order_by_seq(raw, path);

  Trace t;
  TraceSummary& s = t.summary;
  s.complete = contents.complete;
  s.dropped = contents.dropped;
  pair_frees(raw, s);
  summarise(raw, s);

  std::map<uint32_t, uint32_t> dense = thread_numbers(raw);
  s.threads = static_cast<unsigned>(dense.size());
  s.operations_per_thread.assign(s.threads, 0);
  for (Raw& r : raw) ++s.operations_per_thread[r.thread = dense[r.thread]];

  build_replay(raw, t);
  return t;
}

}  // namespace allocbench::trace
