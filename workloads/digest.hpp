// The checksum of a workload's work: every object's size and contents, in the order the
// work happened. Two runs that made other sizes, or the same ones in another order, give
// another digest (a sum would not see the order, and the first word alone not the size).
#pragma once

#include <cstdint>

namespace allocbench {

class Digest {
 public:
  // One multiply per value: cheap enough for a workload's hot loop. The multiplier is odd,
  // so every step is a bijection and no value is lost.
  void add(uint64_t x) { h_ = (h_ ^ x) * 0x9e3779b97f4a7c15ULL; }

  // Mixed once more so that close inputs give far-apart checksums.
  uint64_t value() const {
    uint64_t z = h_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

 private:
  uint64_t h_ = 0x6a09e667f3bcc908ULL;
};

}  // namespace allocbench
