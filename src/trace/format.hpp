// The trace file format, version 1: written by the recorder (src/preload/recorder.cpp), read by
// src/trace/stream.cpp. Little-endian throughout.
//
//   file    := header record*
//   header  := "ALLOCTRC" u32 version u32 flags(0)                          16 bytes
//   record  := chunk | end
//   chunk   := u32 "CHNK" u32 thread u32 events u32 payload_bytes
//              u64 first_seq u64 first_time_us  event{events}               32 + payload
//   end     := u32 "END!" u32 threads u64 events u64 dropped u64 reserved   32 bytes
//   event   := u8 op  varint seq_delta  varint time_delta_us  fields(op)
//     allocations:     zigzag address_delta  varint size  [u8 log2(alignment), aligned ops only]
//     frees:           zigzag address_delta
//     realloc:         zigzag old_address_delta  zigzag new_address_delta(from old)  varint size
//
// Every recording thread fills its own buffer and writes it as one chunk (one write(2),
// O_APPEND), so chunks of different threads interleave in the file but never mix.
// Deltas restart at every chunk: seq and time from the chunk's first values, addresses
// from 0. `seq` is a process-wide counter taken at every call: it orders the operations
// of all threads. The end record is written at a normal exit; a trace without one
// comes from a program that was killed and holds what was flushed until then.
#pragma once

#include <cstddef>
#include <cstdint>

namespace allocbench::trace {

inline constexpr char magic[8] = {'A', 'L', 'L', 'O', 'C', 'T', 'R', 'C'};
inline constexpr uint32_t version = 1;
inline constexpr size_t header_bytes = 16;
inline constexpr uint32_t chunk_tag = 0x4b4e4843;  // "CHNK"
inline constexpr uint32_t end_tag = 0x21444e45;    // "END!"
inline constexpr size_t chunk_header_bytes = 32;
inline constexpr size_t end_record_bytes = 32;
inline constexpr size_t max_event_bytes = 1 + 10 * 5 + 1;
inline constexpr size_t min_event_bytes = 4;  // a free: its code and three one-byte varints

enum class Op : uint8_t {
  malloc_,
  calloc_,
  realloc_,
  free_,
  posix_memalign_,
  aligned_alloc_,
  memalign_,  // also valloc and pvalloc
  new_,
  new_array,
  new_aligned,
  new_array_aligned,
  delete_,  // every form of operator delete
  delete_array,
  count_,
};

inline constexpr const char* op_names[] = {
    "malloc", "calloc", "realloc", "free", "posix_memalign", "aligned_alloc", "memalign",
    "new", "new[]", "new(align)", "new[](align)", "delete", "delete[]"};
static_assert(sizeof op_names / sizeof op_names[0] == static_cast<size_t>(Op::count_));

inline bool is_aligned_allocation(Op op) {
  return op == Op::posix_memalign_ || op == Op::aligned_alloc_ || op == Op::memalign_ || op == Op::new_aligned ||
         op == Op::new_array_aligned;
}
inline bool is_free(Op op) { return op == Op::free_ || op == Op::delete_ || op == Op::delete_array; }

// ── Encoding helpers (no allocation: the recorder runs inside malloc) ──────────
inline unsigned char* put_varint(unsigned char* p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<unsigned char>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<unsigned char>(v);
  return p;
}
inline uint64_t zigzag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
inline int64_t unzigzag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

}  // namespace allocbench::trace
