#!/usr/bin/env bash
# Configures and builds one CMake preset (default: dev). Usage: scripts/build.sh [dev|ci|asan|fuzz]
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-dev}"
# ccache keys on paths relative to the checkout, so a fresh clone anywhere (CI's) reuses what an
# earlier build of the same sources left in the cache.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}" CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j "$(nproc)"
