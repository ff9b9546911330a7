#!/usr/bin/env bash
# Installs the Debian packages allocbench needs, and only those that are missing, so that a
# warm machine does not touch apt at all. Says which it installs and why.
#
#   install-deps.sh run    building allocbench and running it (make run)
#   install-deps.sh package the above, and what makes the .deb (make package)
#   install-deps.sh test   the above, and what the tests use (make test)
#   install-deps.sh fuzz   the above, and clang with libFuzzer (make fuzz)
#   install-deps.sh programs the real programs of 'allocbench suite' (never needed otherwise)
set -euo pipefail

# package|why, one per line
run_packages="
g++|the compiler
cmake|the build
make|the build
pkg-config|finds jemalloc and tcmalloc
libmimalloc-dev|the mimalloc backend
libjemalloc-dev|the jemalloc backend
libgoogle-perftools-dev|the tcmalloc backend
libcli11-dev|the command line
nlohmann-json3-dev|results and baselines in JSON
libfmt-dev|formatting
valgrind|callgrind.h for the workers, and run --measure instructions
"
package_packages="
dpkg-dev|dpkg-shlibdeps, which names the .deb's dependencies
"
test_packages="
doctest-dev|the unit tests
lua5.4|the suite's test runs two real programs
sqlite3|the suite's test runs two real programs
python3|the CLI tests
python3-scipy|reference statistics the tests check p-values against
libbenchmark-tools|Google Benchmark's compare.py, which the tests run on --format gbench
chromium|the tests render the HTML report in a real browser
"
program_packages="
python3|allocbench suite: python-json
lua5.4|allocbench suite: lua-tables
sqlite3|allocbench suite: sqlite
z3|allocbench suite: z3-sat
ghostscript|allocbench suite: ghostscript
g++|allocbench suite: gxx-compile
"
fuzz_packages="
clang|the libFuzzer targets
libclang-rt-14-dev|libFuzzer's runtime
"

case "${1:-run}" in
  run) wanted="$run_packages" ;;
  package) wanted="$run_packages$package_packages" ;;
  test) wanted="$run_packages$package_packages$test_packages" ;;
  fuzz) wanted="$run_packages$package_packages$test_packages$fuzz_packages" ;;
  programs) wanted="$program_packages" ;;
  *) echo "install-deps.sh: expected run, package, test, fuzz or programs, got '$1'" >&2; exit 2 ;;
esac

missing=()
reasons=()
while IFS='|' read -r package why; do
  [[ -n "$package" ]] || continue
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  if [[ "$status" != "install ok installed" ]]; then
    missing+=("$package")
    reasons+=("  $package: $why")
  fi
done <<< "$wanted"

[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "install-deps.sh: installing ${#missing[@]} Debian package(s) for '${1:-run}' (only once):" >&2
printf '%s\n' "${reasons[@]}" >&2
sudo=""
[[ $(id -u) -eq 0 ]] || sudo="sudo"
start=$SECONDS
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
echo "install-deps.sh: installed in $((SECONDS - start)) s" >&2
