// Writes a synthetic trace (src/trace/format.hpp) of any length, for the replay's scale
// benchmarks: THREADS threads whose operations interleave at random, each keeping about
// LIVE objects, and handing a share of what it allocates to the next thread to free
// (cross-thread frees). Sizes, calls and address reuse resemble a real program's.
// FREES: the percentage of operations that free one of the thread's objects; 0 makes a
// trace whose every object stays live.
//
//   make_trace OUTPUT OPERATIONS [THREADS=4] [LIVE=20000] [SEED=1] [FREES=50]
#include "trace/format.hpp"

#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <cstring>
#include <deque>
#include <random>
#include <vector>

namespace {

using allocbench::trace::Op;
using allocbench::trace::put_varint;
using allocbench::trace::zigzag;

struct Object {
  uint64_t address, size;
  Op op;
};

class ChunkWriter {
 public:
  ChunkWriter(std::FILE* out, uint32_t thread) : out_(out), thread_(thread) {}
  void event(uint64_t seq, Op op, uint64_t address, uint64_t address2, uint64_t size, uint8_t align_log2) {
    if (events_ == 0) first_seq_ = previous_seq_ = seq;
    unsigned char* p = scratch_;
    *p++ = static_cast<unsigned char>(op);
    p = put_varint(p, seq - previous_seq_);
    p = put_varint(p, (seq - previous_seq_) / 16);  // microseconds: about 16 calls each
    p = put_varint(p, zigzag(static_cast<int64_t>(address - previous_address_)));
    previous_address_ = address;
    if (op == Op::realloc_) {
      p = put_varint(p, zigzag(static_cast<int64_t>(address2 - address)));
      previous_address_ = address2;
    }
    if (op != Op::free_ && op != Op::delete_) p = put_varint(p, size);
    if (op == Op::posix_memalign_) *p++ = align_log2;
    payload_.insert(payload_.end(), scratch_, p);
    previous_seq_ = seq;
    ++events_;
    ++total_;
    if (payload_.size() > (1 << 20) - 64) flush();
  }
  void flush() {
    if (events_ == 0) return;
    uint32_t header[4] = {allocbench::trace::chunk_tag, thread_, events_, static_cast<uint32_t>(payload_.size())};
    uint64_t first[2] = {first_seq_, first_seq_ / 16};
    std::fwrite(header, sizeof header, 1, out_);
    std::fwrite(first, sizeof first, 1, out_);
    std::fwrite(payload_.data(), 1, payload_.size(), out_);
    payload_.clear();
    events_ = 0;
    previous_address_ = 0;
  }
  uint64_t total() const { return total_; }

 private:
  std::FILE* out_;
  uint32_t thread_, events_ = 0;
  uint64_t first_seq_ = 0, previous_seq_ = 0, previous_address_ = 0, total_ = 0;
  std::vector<unsigned char> payload_;
  unsigned char scratch_[allocbench::trace::max_event_bytes];
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: make_trace OUTPUT OPERATIONS [THREADS=4] [LIVE=20000] [SEED=1] [FREES=50]\n");
    return 2;
  }
  uint64_t operations = std::strtoull(argv[2], nullptr, 10);
  unsigned threads = argc > 3 ? static_cast<unsigned>(std::atoi(argv[3])) : 4;
  size_t live = argc > 4 ? std::strtoull(argv[4], nullptr, 10) : 20000;
  std::mt19937_64 rng(argc > 5 ? std::strtoull(argv[5], nullptr, 10) : 1);
  uint64_t frees = argc > 6 ? std::strtoull(argv[6], nullptr, 10) : 50;
  std::FILE* out = std::fopen(argv[1], "wb");
  if (!out || threads == 0) {
    std::perror(argv[1]);
    return 2;
  }
  std::fwrite(allocbench::trace::magic, sizeof allocbench::trace::magic, 1, out);
  uint32_t version[2] = {allocbench::trace::version, 0};
  std::fwrite(version, sizeof version, 1, out);

  std::vector<ChunkWriter> writers;
  std::vector<std::vector<Object>> owned(threads);
  std::vector<std::deque<Object>> inbox(threads);  // objects another thread allocated, for this one to free
  for (unsigned t = 0; t < threads; ++t) writers.emplace_back(out, t + 1);
  // Addresses are reused last-freed first, as allocators do: blocks of 4 KiB for small
  // objects, of 1 MiB for the rest.
  constexpr uint64_t small_block = 4096, large_block = 1 << 20;
  std::vector<uint64_t> free_addresses[2];
  uint64_t next_address = 0x10000000;
  auto block = [&](uint64_t size) { return size <= small_block ? 0 : 1; };
  auto new_address = [&](uint64_t size) {
    auto& reusable = free_addresses[block(size)];
    if (!reusable.empty()) {
      uint64_t a = reusable.back();
      reusable.pop_back();
      return a;
    }
    uint64_t a = next_address;
    next_address += size <= small_block ? small_block : large_block;
    return a;
  };
  auto release = [&](const Object& o) { free_addresses[block(o.size)].push_back(o.address); };
  auto draw_size = [&]() -> uint64_t {
    uint64_t r = rng() % 100;
    if (r < 60) return 8 + rng() % 120;    // small objects
    if (r < 90) return 128 + rng() % 896;  // medium
    if (r < 99) return 1024 + rng() % 15360;
    return 16384 + rng() % 262144;         // the odd large buffer
  };

  for (uint64_t seq = 0; seq < operations; ++seq) {
    unsigned t = static_cast<unsigned>(rng() % threads);
    ChunkWriter& w = writers[t];
    uint64_t r = rng() % 100;
    if (!inbox[t].empty() && r < frees / 5) {  // a cross-thread free
      Object o = inbox[t].front();
      inbox[t].pop_front();
      w.event(seq, o.op == Op::new_ ? Op::delete_ : Op::free_, o.address, 0, 0, 0);
      release(o);
    } else if (!owned[t].empty() && (owned[t].size() >= live || r < frees)) {
      size_t i = rng() % owned[t].size();
      Object o = owned[t][i];
      owned[t][i] = owned[t].back();
      owned[t].pop_back();
      if (r % 10 == 0 && o.op == Op::malloc_) {  // grown in place or moved
        uint64_t size = std::min<uint64_t>(o.size + draw_size(), large_block);
        bool in_place = r % 20 == 0 && block(size) == block(o.size);
        uint64_t address = in_place ? o.address : new_address(size);
        if (!in_place) release(o);
        w.event(seq, Op::realloc_, o.address, address, size, 0);
        owned[t].push_back({address, size, Op::malloc_});
      } else {
        w.event(seq, o.op == Op::new_ ? Op::delete_ : Op::free_, o.address, 0, 0, 0);
        release(o);
      }
    } else {
      uint64_t size = draw_size();
      Op op = r % 3 == 0 ? Op::new_ : r % 17 == 0 ? Op::posix_memalign_ : Op::malloc_;
      Object o{new_address(size), size, op == Op::posix_memalign_ ? Op::malloc_ : op};
      w.event(seq, op, o.address, 0, size, 6);
      if (threads > 1 && r % 5 == 0) inbox[(t + 1) % threads].push_back(o);
      else owned[t].push_back(o);
    }
  }
  for (auto& w : writers) w.flush();
  uint32_t end[2] = {allocbench::trace::end_tag, threads};
  uint64_t counts[3] = {operations, 0, 0};
  std::fwrite(end, sizeof end, 1, out);
  std::fwrite(counts, sizeof counts, 1, out);
  if (std::fclose(out) != 0) {
    std::perror(argv[1]);
    return 1;
  }
  return 0;
}
