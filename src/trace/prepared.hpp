// A trace prepared for replay: each thread's operations, in its recorded order, each
// carrying everything the replay needs (which slot holds the object it frees, where the
// object it allocates goes), so that a worker reads its thread's records once, straight
// through, and builds nothing. Written once per trace (replay_cache.hpp) by two streaming
// walks of the trace, whose memory grows with the live objects only.
//
//   file    := header thread{threads} record*                          little-endian
//   header  := "ALLOCRPL" u32 version u32 threads u64 trace_hash u64 trace_bytes
//              u64 operations u32 shared_slots u32 0 u64 hash                   56 bytes
//   thread  := u64 first_record_offset u64 records u64 local_slots              24 bytes
//   record  := ReplayOp | Extension (after an op flagged `extended`)            16 bytes
//
// `hash` covers the header (with hash 0), the thread table and every thread's records.
#pragma once

#include "trace/format.hpp"
#include "trace/stream.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace allocbench::trace {

inline constexpr char prepared_magic[8] = {'A', 'L', 'L', 'O', 'C', 'R', 'P', 'L'};
inline constexpr uint32_t prepared_version = 1;
inline constexpr uint32_t none = UINT32_MAX;

// An object's pointer lives in a slot while the object is live: a slot of the thread that
// allocated it, reused after its free, or, for an object another thread frees, a shared
// slot, reused too: the replay tells the slot's successive objects apart by generation.
struct ReplayOp {
  enum Flags : uint8_t {
    wait = 1,      // frees an object another thread allocated (old_slot is shared)
    notify = 2,    // allocates an object another thread frees (slot is shared)
    extended = 4,  // an Extension follows: the size, or the generations of shared slots
  };
  uint32_t size;      // allocations and realloc: requested bytes (the Extension's when extended)
  uint32_t slot;      // allocations and realloc: where the new object's pointer goes
  uint32_t old_slot;  // frees and realloc: where the freed object is; none: the trace never allocated it
  Op op;
  uint8_t align_log2;
  uint8_t flags;
  uint8_t reserved;
};
struct Extension {
  uint64_t size;
  uint32_t gen;      // notify: the new object's use of its shared slot, from 1
  uint32_t old_gen;  // wait: the freed object's
};
static_assert(sizeof(ReplayOp) == 16 && sizeof(Extension) == 16);

struct PreparedHeader {
  char magic[8];
  uint32_t version, threads;
  uint64_t trace_hash, trace_bytes, operations;
  uint32_t shared_slots, reserved;
  uint64_t hash;
};
struct PreparedThread {
  uint64_t first_record_offset, records, local_slots;
};
static_assert(sizeof(PreparedHeader) == 56 && sizeof(PreparedThread) == 24);

// What a worker needs to replay: read from the file's header, checked against its size.
struct PreparedReplay {
  PreparedHeader header;
  std::vector<PreparedThread> threads;
};

// The trace's identity: a hash of its bytes, and their count.
struct TraceKey {
  uint64_t hash = 0, bytes = 0;
};
TraceKey trace_key(const InputFile& trace);

// Writes `out` (a file descriptor open for writing) from the trace. Usage errors (exit 2)
// name the trace and what is wrong in it; errors of memory or disk are run errors (exit 3).
void prepare_replay(const InputFile& trace, const TraceKey& key, int out, const std::string& out_path);

// Reads the header and thread table, checked against the file's size: a usage error
// names what does not fit. `verify` also checks the hash of every record.
PreparedReplay read_prepared(const InputFile& file, bool verify);

}  // namespace allocbench::trace
