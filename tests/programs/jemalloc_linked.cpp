// A program linked with jemalloc, as Debian's redis-server is: under `system` jemalloc,
// not glibc, serves its malloc, and cmd: workloads must refuse that row rather than
// report jemalloc as glibc; a preloaded allocator still comes first (cli.command).
#include <cstdio>
#include <cstdlib>
#include <cstring>

int main() {
  char* p = static_cast<char*>(std::malloc(100));
  std::strcpy(p, "served");
  std::puts(p);
  std::free(p);
}
