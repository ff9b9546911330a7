// The malloc family and operator new/delete of a library loaded with LD_PRELOAD: each
// call is forwarded to the allocator that follows in the lookup order, and reported to
// the library's hooks, which every preloaded library of allocbench defines once
// (recorder.cpp: a trace; counter.cpp: counts).
//
// The hooks run inside malloc: they must not allocate through it, except behind a
// guard of their own (an allocation they make reaches them again).
#pragma once

#include "trace/format.hpp"

#include <cstddef>
#include <cstdint>

namespace allocbench::preload {

// After an allocation `op` returned p (never null) for `size` bytes to the code at `caller`.
void on_allocation(trace::Op op, void* p, size_t size, size_t alignment, const void* caller);
// Before p (never null) is freed.
void on_free(trace::Op op, void* p);
// Before realloc moves or resizes `old` (non-null): what it returns is handed to
// on_realloc. (Once realloc has freed old, another thread may be given its address.)
int64_t on_realloc_start(void* old);
// After realloc of `old`: p is the new block, or null when it failed (old is untouched)
// or, for size 0, when it freed old.
void on_realloc(void* old, void* p, size_t size, const void* caller, int64_t started);

// Finds the next allocator's functions; false while dlsym itself is allocating.
bool resolve_next_allocator();

}  // namespace allocbench::preload
