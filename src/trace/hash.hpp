// A fast 64-bit hash of a byte stream fed in pieces (not cryptographic): it names a
// trace's prepared replay by the trace's content, and tells a corrupt prepared file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace allocbench::trace {

class Hasher {
 public:
  void update(const void* data, size_t n) {
    auto p = static_cast<const unsigned char*>(data);
    length_ += n;
    for (; n > 0 && pending_bytes_ > 0; --n) push_byte(*p++);  // the word the last piece left open
    for (; n >= 8; p += 8, n -= 8) {
      uint64_t w;
      std::memcpy(&w, p, 8);
      mix(w);
    }
    for (; n > 0; --n) push_byte(*p++);
  }
  void add(uint64_t v) { update(&v, sizeof v); }

  uint64_t value() const {
    uint64_t h = state_ ^ pending_ ^ (length_ * 0x9e3779b97f4a7c15);
    h ^= h >> 33;  // murmur3's finaliser: every input bit reaches every output bit
    h *= 0xff51afd7ed558ccd;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53;
    return h ^ (h >> 33);
  }

 private:
  void push_byte(unsigned char b) {
    pending_ |= uint64_t{b} << (8 * pending_bytes_);
    if (++pending_bytes_ < 8) return;
    mix(pending_);
    pending_ = 0;
    pending_bytes_ = 0;
  }
  void mix(uint64_t w) {
    uint64_t x = state_ ^ (w * 0x87c37b91114253d5);
    state_ = (x << 31 | x >> 33) * 0x4cf5ad432745937f;
  }

  uint64_t state_ = 0x2545f4914f6cdd1d, pending_ = 0, length_ = 0;
  unsigned pending_bytes_ = 0;
};

}  // namespace allocbench::trace
