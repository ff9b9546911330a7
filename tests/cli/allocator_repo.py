"""A real git repository of a small allocator library in C that forwards to glibc, commit
after commit: one commit adds a little work per call (about 2% more instructions), one does
not build. `bisect` is tested on it (test_history.py), and `make bench` measures its history."""
import os
import subprocess

ALLOCATOR = r"""#include <errno.h>
#include <stddef.h>
/* STEP */
void *__libc_malloc(size_t);
void __libc_free(void *);
void *__libc_calloc(size_t, size_t);
void *__libc_realloc(void *, size_t);
void *__libc_memalign(size_t, size_t);
static volatile unsigned long sink;
#define WORK 0
static inline void work(void) { for (int i = 0; i < WORK; i++) sink++; }
void *malloc(size_t n) { work(); return __libc_malloc(n); }
void free(void *p) { work(); __libc_free(p); }
void *calloc(size_t n, size_t s) { work(); return __libc_calloc(n, s); }
void *realloc(void *p, size_t n) { work(); return __libc_realloc(p, n); }
void *memalign(size_t a, size_t n) { return __libc_memalign(a, n); }
void *aligned_alloc(size_t a, size_t n) { return __libc_memalign(a, n); }
int posix_memalign(void **out, size_t a, size_t n) { void *p = __libc_memalign(a, n); if (!p) return ENOMEM; *out = p; return 0; }
"""
BUILD = "cc -shared -fPIC -O2 -o liballoc.so alloc.c"
RUN = ["--", "--backend", "preload:./liballoc.so", "--workload", "small-object-churn",
       "--param", "small-object-churn.ops=20000", "--reps", "1", "--metric", "instructions",
       "--threshold", "instructions=1"]
SLOWER_AT, BROKEN_AT, COMMITS = 9, 7, 16


def git(repo, *args):
    return subprocess.run(["git", "-C", repo, *args], capture_output=True, text=True, check=True).stdout.strip()


def new_repo(path):
    os.makedirs(path)
    git(path, "init", "-q")
    git(path, "config", "user.email", "test@example.com")
    git(path, "config", "user.name", "test")
    return path


def commit_file(repo, name, text, message):
    with open(os.path.join(repo, name), "w") as f:
        f.write(text)
    git(repo, "add", name)
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def allocator_repo(path):
    """The good commit, then COMMITS more: one that does not build, one that adds a little
    work per call (about 2% more instructions), the others touching a comment only."""
    repo = new_repo(path)
    good = commit_file(repo, "alloc.c", ALLOCATOR, "an allocator that forwards to glibc")
    commits = []
    for i in range(COMMITS):
        text = ALLOCATOR.replace("/* STEP */", f"/* step {i} */")
        if i >= SLOWER_AT:
            text = text.replace("#define WORK 0", "#define WORK 1")
        if i == BROKEN_AT:
            text = text.replace("static volatile", "static volatile volatile int (")
        message = {SLOWER_AT: "count every call", BROKEN_AT: "a commit that does not build"}.get(i, f"step {i}")
        commits.append(commit_file(repo, "alloc.c", text, message))
    return repo, good, commits
