// Seeded, fast, portable randomness: the same seed gives the same work on every
// backend and every machine (std::uniform_int_distribution is not portable).
#pragma once

#include <cstdint>

namespace allocbench {

// splitmix64: tiny state, good enough statistics for choosing sizes and slots.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}

  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  // Uniform in [0, n) without modulo bias worth caring about (Lemire's multiply-shift).
  uint64_t below(uint64_t n) { return static_cast<uint64_t>((static_cast<__uint128_t>(next()) * n) >> 64); }

  // Uniform in [lo, hi].
  uint64_t between(uint64_t lo, uint64_t hi) { return lo + below(hi - lo + 1); }

 private:
  uint64_t state_;
};

// A well-mixed value derived from a few integers: per-thread seeds, per-request content.
inline uint64_t mix(uint64_t a, uint64_t b = 0, uint64_t c = 0) {
  Rng r(a * 0x9e3779b97f4a7c15ULL ^ (b + 0x632be59bd9b4e019ULL) * 0xbf58476d1ce4e5b9ULL ^ c);
  return r.next();
}

}  // namespace allocbench
