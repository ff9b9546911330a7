// The counting operator new/delete of the worker, linked into this test binary.
#include "counting/counting.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <new>
#include <string>
#include <vector>

namespace c = allocbench::counting;

namespace {
struct alignas(128) Aligned {
  char bytes[300];
};

// The compiler may drop a new/delete pair whose pointer goes nowhere: let it escape.
template <typename T>
T* escape(T* p) {
  asm volatile("" : : "g"(p) : "memory");
  return p;
}
}  // namespace

TEST_CASE("unit_counting_operators_every_form_is_counted_with_its_requested_size") {
  int64_t base = c::snapshot().live_bytes;
  c::begin_phase();
  {
    auto* i = escape(new int(5));                  // plain
    auto* a = escape(new Aligned);                 // aligned
    auto* n = escape(new (std::nothrow) long(7));  // nothrow
    std::vector<int> v(100);                       // allocator: sized array delete
    escape(v.data());
    auto* s = escape(new std::string[2]);          // array with a destructor: sized delete[]
    CHECK(reinterpret_cast<uintptr_t>(a) % 128 == 0);
    delete i;
    delete a;
    delete n;
    delete[] s;
  }
  c::PhaseCounts p = c::end_phase();
  CHECK(p.allocs == 5);
  CHECK(p.frees == 5);
  CHECK(p.bytes_allocated == int64_t(sizeof(int) + sizeof(Aligned) + sizeof(long) + 400 + 2 * sizeof(std::string) + sizeof(size_t)));
  CHECK(p.peak_live_bytes - base == p.bytes_allocated);
  CHECK(c::snapshot().live_bytes == base);
}

TEST_CASE("unit_counting_operators_unsized_frees_are_reported_not_guessed") {
  int64_t before = c::unsized_frees();
  char* raw = escape(new char[10]);  // trivially destructible array: delete[] passes no size
  delete[] raw;
  CHECK(c::unsized_frees() == before + 1);
}

TEST_CASE("unit_counting_operators_off_forwards_without_counting") {
  c::set_enabled(false);
  c::begin_phase();
  auto* p = escape(new int(1));
  delete p;
  c::PhaseCounts counts = c::end_phase();
  c::set_enabled(true);
  CHECK(counts.allocs == 0);
  CHECK(counts.frees == 0);
}
