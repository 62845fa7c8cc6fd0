#!/usr/bin/env bash
# Benchmarks (not part of ctest): builds the Release preset and runs every tests/bench/bench_*.py,
# each generating its own inputs and comparing against CPython / pickletools / torch.load in the
# same run. Needs python3-torch and python3-numpy (scripts/setup.sh fixtures).
# PICKLESCOPE_BENCH_LOAD=build/dev/tests/picklescope-bench-load also times the window's first tree
# paint on bench_formats.py's sharded set (under xvfb-run).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh all
scripts/build.sh release
for bench in tests/bench/bench_*.py; do
  echo "== $bench"
  /usr/bin/python3 "$bench" "$@"
done
