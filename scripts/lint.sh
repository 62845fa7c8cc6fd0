#!/usr/bin/env bash
# Lint (opt-in: scripts/test.sh --lint, or alone):
#   1. clang-format: every C++ file added since BASE (default: the merge base with main) must be
#      formatted as a whole (clang-format --dry-run -Werror); in files modified since BASE, the
#      changed lines must be (git clang-format --diff: older lines are left as they are).
#   2. clang-tidy over core with the repo's .clang-tidy (the `lint` preset; misc-no-recursion is
#      an error there): nothing in core recurses.
# Usage: scripts/lint.sh [BASE]
set -euo pipefail
cd "$(dirname "$0")/.."
base="${1:-$(git merge-base HEAD main 2>/dev/null || git rev-parse HEAD~1)}"

echo "== clang-format (changes since $(git rev-parse --short "$base"))"
mapfile -t added < <(git diff --name-only --diff-filter=A "$base" -- 'core/*.cpp' 'core/*.h' 'ui/*.cpp' 'ui/*.h' 'app/*.cpp' 'app/*.h' 'tests/*.cpp' 'tests/*.h')
if [ "${#added[@]}" -gt 0 ]; then
  clang-format --dry-run -Werror "${added[@]}"
fi
changed="$(git clang-format --diff --extensions cpp,h "$base" -- core ui app tests 2>&1 || true)"
case "$changed" in
  *"did not modify"* | *"no modified files"* | "") ;;
  *) echo "$changed"; echo "lint.sh: changed lines are not clang-formatted (git clang-format $base)" >&2; exit 1 ;;
esac

echo "== clang-tidy (lint preset: core)"
cmake --preset lint >/dev/null
cmake --build --preset lint -j "$(nproc)" 2>&1 | tee build/lint/tidy.log | grep -E "warning:|error:" | sort -u | head -50 || true
if grep -q "error:" build/lint/tidy.log; then
  echo "lint.sh: clang-tidy errors (see build/lint/tidy.log)" >&2
  exit 1
fi
echo "lint: ok"
