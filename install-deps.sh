#!/usr/bin/env bash
# Installs the Debian packages allocbench needs, and only those that are missing,
# so that a warm machine does not touch apt at all. Usage: install-deps.sh [--fuzz]
set -euo pipefail

packages=(
  g++ cmake make pkg-config python3
  libmimalloc-dev libjemalloc-dev libgoogle-perftools-dev
  libcli11-dev nlohmann-json3-dev libfmt-dev doctest-dev
  valgrind  # callgrind.h for the worker, and --measure instructions
  libbenchmark-tools python3-scipy  # the tests read --format gbench with Google Benchmark's compare.py
  chromium  # the tests render the HTML report in a real browser
)
# --fuzz: clang and its libFuzzer runtime too
[[ "${1:-}" == "--fuzz" ]] && packages+=(clang libclang-rt-14-dev)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "installing: ${missing[*]}" >&2
sudo=""
[[ $(id -u) -eq 0 ]] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
