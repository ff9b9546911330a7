// A program built without -pie whose code takes malloc's address, as Debian's python3
// does: its executable gets a canonical PLT entry for malloc (an undefined symbol with a
// value), which lookups of "malloc" return, though the preloaded allocator serves every
// call. cmd: workloads must measure it (cli.command).
#include <cstdio>
#include <cstdlib>

int main() {
  void* (*volatile allocate)(size_t) = std::malloc;  // an absolute address in the code: the canonical PLT entry
  void* p = allocate(4096);
  std::printf("%d\n", p != nullptr);
  std::free(p);
}
