#include "trace/stream.hpp"

#include "common/error.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <map>
#include <queue>
#include <vector>

namespace allocbench::trace {
namespace {

// Reads fields from a buffer that holds the file's bytes from `origin` on; every error
// names the file and the offset in it.
class Cursor {
 public:
  Cursor(const std::string& path, const unsigned char* data, size_t size, uint64_t origin)
      : path_(&path), data_(data), size_(size), origin_(origin) {}
  Cursor() = default;

  uint64_t offset() const { return origin_ + at_; }
  bool done() const { return at_ >= size_; }

  template <typename... Args>
  [[noreturn]] void fail(uint64_t offset, fmt::format_string<Args...> f, Args&&... args) const {
    throw usage_error("trace {}: offset {}: {}", *path_, offset, fmt::format(f, std::forward<Args>(args)...));
  }
  void need(size_t n, const char* what) const {
    if (size_ - at_ < n)
      fail(offset(), "{} is cut short ({} bytes needed, {} left): the file is truncated", what, n, size_ - at_);
  }
  uint32_t u32(const char* what) { return fixed<uint32_t>(what); }
  uint64_t u64(const char* what) { return fixed<uint64_t>(what); }
  uint8_t u8(const char* what) {
    need(1, what);
    return data_[at_++];
  }
  uint64_t varint(const char* what) {
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
      uint8_t byte = u8(what);
      v |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return v;
    }
    fail(offset(), "{}: a number longer than 64 bits", what);
  }

 private:
  template <typename T>
  T fixed(const char* what) {
    need(sizeof(T), what);
    T v;
    std::memcpy(&v, data_ + at_, sizeof v);
    at_ += sizeof v;
    return v;
  }

  const std::string* path_ = nullptr;
  const unsigned char* data_ = nullptr;
  size_t size_ = 0, at_ = 0;
  uint64_t origin_ = 0;
};

struct Chunk {
  uint64_t header_at, payload_at;
  uint32_t events, payload_bytes;
  uint64_t first_seq, first_time;
};

// One thread's operations: its chunks in file order, decoded one at a time.
struct ThreadReader {
  std::vector<Chunk> chunks;
  size_t next_chunk = 0;
  std::vector<unsigned char> payload;
  Cursor in;
  uint32_t left = 0, decoded = 0;  // events of the current chunk
  uint64_t seq = 0, time = 0, address = 0;
  bool started = false;  // an operation was decoded: seq holds the last one's
  Operation pending;
};

}  // namespace

struct TraceStream::State {
  std::unique_ptr<InputFile> owned;  // when the stream opened the file itself
  std::string path;
  int fd = -1;
  uint64_t size = 0;
  std::vector<ThreadReader> threads;
  uint64_t operations = 0, dropped = 0, last_seq = 0, given = 0;
  bool complete = false;
  // Threads by their next operation's sequence number, the earliest on top.
  std::priority_queue<std::pair<uint64_t, uint32_t>, std::vector<std::pair<uint64_t, uint32_t>>, std::greater<>> ready;

  void read_at(uint64_t offset, void* buffer, size_t n) {
    for (size_t done = 0; done < n;) {
      ssize_t got = ::pread(fd, static_cast<char*>(buffer) + done, n - done, static_cast<off_t>(offset + done));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) throw usage_error("trace {}: cannot read at offset {}: {}", path, offset + done,
                                      got < 0 ? std::strerror(errno) : "the file shrank while being read");
      done += static_cast<size_t>(got);
    }
  }

  // `n` bytes from `offset`, or fewer where the file ends: a cursor reports the truncation.
  Cursor read_record(uint64_t offset, size_t n, std::vector<unsigned char>& buffer) {
    buffer.resize(static_cast<size_t>(std::min<uint64_t>(n, size - offset)));
    read_at(offset, buffer.data(), buffer.size());
    return Cursor(path, buffer.data(), buffer.size(), offset);
  }

  void index() {
    std::vector<unsigned char> buffer;
    Cursor header = read_record(0, header_bytes, buffer);
    header.need(header_bytes, "the file header");
    char m[sizeof magic];
    for (char& ch : m) ch = static_cast<char>(header.u8("the file header"));
    if (std::memcmp(m, magic, sizeof magic) != 0) header.fail(0, "not an allocbench trace (no 'ALLOCTRC' header)");
    uint32_t v = header.u32("the file header");
    if (v != version) header.fail(8, "trace format version {}; this allocbench reads version {}", v, version);

    std::map<uint32_t, std::vector<Chunk>> by_id;
    uint64_t at = header_bytes;
    while (at < size) {
      Cursor in = read_record(at, chunk_header_bytes, buffer);
      uint32_t tag = in.u32("a record tag");
      if (tag == chunk_tag) {
        uint32_t thread = in.u32("a chunk header");
        Chunk c{at, at + chunk_header_bytes, in.u32("a chunk header"), in.u32("a chunk header"), 0, 0};
        c.first_seq = in.u64("a chunk header");
        c.first_time = in.u64("a chunk header");
        if (size - c.payload_at < c.payload_bytes)
          in.fail(c.payload_at, "a chunk is cut short ({} bytes needed, {} left): the file is truncated",
                  c.payload_bytes, size - c.payload_at);
        if (c.events > c.payload_bytes / min_event_bytes)  // before anything is sized by the count
          in.fail(at, "a chunk claims {} events in {} bytes: the file is corrupt", c.events, c.payload_bytes);
        if (c.events > 0) by_id[thread].push_back(c);
        operations += c.events;
        at = c.payload_at + c.payload_bytes;
      } else if (tag == end_tag) {
        in.need(end_record_bytes - 4, "the end record");
        in.u32("the end record");
        uint64_t events = in.u64("the end record");
        dropped = in.u64("the end record");
        if (events != operations)
          in.fail(at, "the end record counts {} operations, the chunks hold {}", events, operations);
        if (at + end_record_bytes < size) in.fail(at + end_record_bytes, "data after the end record");
        complete = true;
        break;
      } else {
        in.fail(at, "unknown record tag {:#010x}", tag);
      }
    }
    for (auto& [id, chunks] : by_id) threads.emplace_back().chunks = std::move(chunks);
    for (uint32_t t = 0; t < threads.size(); ++t)
      if (advance(t)) ready.emplace(threads[t].pending.seq, t);
  }

  // Decodes thread t's next operation into its `pending`; false when it has none left.
  bool advance(uint32_t t) {
    ThreadReader& r = threads[t];
    if (r.left == 0) {
      if (r.decoded > 0 && !r.in.done()) r.in.fail(r.in.offset(), "bytes left over after the chunk's {} events", r.decoded);
      if (r.next_chunk == r.chunks.size()) {
        r.payload = {};  // a thread that ended holds no memory
        return false;
      }
      const Chunk& c = r.chunks[r.next_chunk++];
      r.payload.resize(c.payload_bytes);
      read_at(c.payload_at, r.payload.data(), r.payload.size());
      r.in = Cursor(path, r.payload.data(), r.payload.size(), c.payload_at);
      r.left = c.events;
      r.decoded = 0;
      r.address = 0;
      uint64_t previous = r.seq;
      r.seq = c.first_seq;
      r.time = c.first_time;
      if (r.started && r.seq <= previous)
        r.in.fail(c.header_at, "a chunk starts at sequence number {}, not after its thread's last ({}): the file is corrupt",
                  r.seq, previous);
    }
    Cursor& c = r.in;
    uint64_t at = c.offset();
    if (c.done()) c.fail(r.chunks[r.next_chunk - 1].header_at, "the chunk holds {} events but its payload ends after {}",
                         r.decoded + r.left, r.decoded);
    Operation& o = r.pending;
    o = Operation{};
    uint8_t op = c.u8("an event");
    if (op >= static_cast<uint8_t>(Op::count_)) c.fail(at, "unknown operation code {}", op);
    o.op = static_cast<Op>(op);
    uint64_t seq_delta = c.varint("an event's sequence number");
    if (r.decoded > 0 && seq_delta == 0)
      throw usage_error("trace {}: two operations share the sequence number {}: the file is corrupt", path, r.seq);
    r.seq += seq_delta;
    r.time += c.varint("an event's time");
    r.address += static_cast<uint64_t>(unzigzag(c.varint("an event's address")));
    o.address = r.address;
    if (o.op == Op::realloc_)
      r.address = o.address2 = r.address + static_cast<uint64_t>(unzigzag(c.varint("realloc's new address")));
    if (!is_free(o.op)) o.size = c.varint("an event's size");
    if (is_aligned_allocation(o.op)) {
      o.align_log2 = c.u8("an event's alignment");
      if (o.align_log2 > 40) c.fail(at, "alignment 2^{} is out of range", o.align_log2);
    }
    o.seq = r.seq;
    o.time_us = r.time;
    o.thread = t;
    r.started = true;
    --r.left;
    ++r.decoded;
    return true;
  }
};

TraceStream::TraceStream(const std::string& path) : s_(std::make_unique<State>()) {
  s_->owned = std::make_unique<InputFile>(path, "trace");
  s_->path = path;
  s_->fd = s_->owned->fd();
  s_->size = s_->owned->size();
  s_->index();
}

TraceStream::TraceStream(const InputFile& file) : s_(std::make_unique<State>()) {
  s_->path = file.path();
  s_->fd = file.fd();
  s_->size = file.size();
  s_->index();
}

TraceStream::~TraceStream() = default;

const std::string& TraceStream::path() const { return s_->path; }
unsigned TraceStream::threads() const { return static_cast<unsigned>(s_->threads.size()); }
uint64_t TraceStream::operations() const { return s_->operations; }
bool TraceStream::complete() const { return s_->complete; }
uint64_t TraceStream::dropped() const { return s_->dropped; }

bool TraceStream::next(Operation& out) {
  State& s = *s_;
  if (s.ready.empty()) return false;
  uint32_t t = s.ready.top().second;
  s.ready.pop();
  out = s.threads[t].pending;
  if (s.given > 0 && out.seq == s.last_seq)
    throw usage_error("trace {}: two operations share the sequence number {}: the file is corrupt", s.path, out.seq);
  s.last_seq = out.seq;
  ++s.given;
  if (s.advance(t)) s.ready.emplace(s.threads[t].pending.seq, t);
  return true;
}

TraceShape check_trace(const std::string& path) {
  TraceStream in(path);
  Operation op;
  while (in.next(op)) {
  }
  return {in.operations(), in.threads()};
}

}  // namespace allocbench::trace
