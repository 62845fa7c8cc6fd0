#!/usr/bin/env bash
# Sets up, builds and runs every test: the CI build (warnings as errors) with the whole ctest
# suite, the core suites again under ASan + UBSan, and a short libFuzzer smoke run.
# Usage: scripts/test.sh [--quick] [--lint]
#   --quick: the CI build and its tests only
#   --lint:  first the format and tidy checks (scripts/lint.sh), then the rest
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    --lint) scripts/lint.sh ;;
    *) echo "usage: $0 [--quick] [--lint]" >&2; exit 2 ;;
  esac
done
scripts/setup.sh test
export QT_QPA_PLATFORM=offscreen

echo "== build (ci preset: Release, -Werror)"
scripts/build.sh ci
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
echo "== tests (ci)"
ctest --preset ci -j "$(nproc)" | tee -a "$log"

# One closing line over every ctest run: "summary: N passed, N failed".
summary() {
  awk '/tests passed, [0-9]+ tests failed out of/ { for (i = 1; i <= NF; i++) if ($i == "failed") f += $(i - 2); t += $NF }
       END { printf "summary: %d passed, %d failed\n", t - f, f }' "$log"
}

if [ "$quick" = 1 ]; then summary; exit 0; fi

# The Debian package (a release build with LTO: minutes): built and checked in a scratch root
# when PICKLESCOPE_TEST_PACKAGE=1.
if [ "${PICKLESCOPE_TEST_PACKAGE:-0}" = 1 ]; then
  echo "== package (release preset, CPack DEB, dpkg -x check)"
  scripts/package.sh --check
fi

echo "== build (asan preset: ASan + UBSan)"
scripts/build.sh asan
echo "== tests (asan)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  LSAN_OPTIONS=suppressions="$PWD/tests/lsan.supp" \
  ctest --preset asan -j "$(nproc)" -LE ui | tee -a "$log"

if [ -f tests/fuzz/CMakeLists.txt ]; then
  echo "== fuzz smoke"
  scripts/build.sh fuzz
  scripts/fuzz.sh smoke
fi

summary
