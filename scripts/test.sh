#!/usr/bin/env bash
# Sets up, builds and runs every test: the CI build (warnings as errors) with the whole ctest
# suite, the core suites again under ASan + UBSan, and a short libFuzzer smoke run.
# Usage: scripts/test.sh [--quick]   (--quick: the CI build and its tests only)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
export QT_QPA_PLATFORM=offscreen

echo "== build (ci preset: Release, -Werror)"
scripts/build.sh ci
echo "== tests (ci)"
ctest --preset ci -j "$(nproc)"

if [ "${1:-}" = "--quick" ]; then exit 0; fi

echo "== build (asan preset: ASan + UBSan)"
scripts/build.sh asan
echo "== tests (asan)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  LSAN_OPTIONS=suppressions="$PWD/tests/lsan.supp" \
  ctest --preset asan -j "$(nproc)" -LE ui

if [ -f tests/fuzz/CMakeLists.txt ]; then
  echo "== fuzz smoke"
  scripts/build.sh fuzz
  scripts/fuzz.sh smoke
fi
