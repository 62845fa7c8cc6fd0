#!/usr/bin/env bash
# Runs the libFuzzer targets built by the `fuzz` preset (scripts/build.sh fuzz).
#   scripts/fuzz.sh smoke               every target briefly (total <= 60 s), as scripts/test.sh does
#   scripts/fuzz.sh long SECONDS [T..]  each target (or the named ones) for SECONDS, one after another
#   scripts/fuzz.sh repro               every committed crash reproducer through every target
# One fuzzer process at a time, in the foreground. The corpus grows in build/fuzz/corpus/<target>/, seeded
# from the fixtures under tests/data; crash reproducers land in build/fuzz/artifacts/ and belong,
# once understood, in tests/data/fuzz-crashes/ with a row in tests/safety/tst_fuzz_regressions.cpp.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/fuzz/tests/fuzz
mode="${1:-smoke}"

targets=()
for t in fuzz_machine fuzz_archive fuzz_disassembler fuzz_safety_scan; do
  [ -x "$bin/$t" ] && targets+=("$t")
done
if [ "${#targets[@]}" -eq 0 ]; then
  echo "fuzz.sh: no fuzz targets in $bin (run scripts/build.sh fuzz first)" >&2
  exit 2
fi

seed() { # seed corpus of a target: fixtures it can make sense of
  local t="$1" dir="build/fuzz/corpus/$1"
  mkdir -p "$dir"
  local sources=(tests/data/pickle tests/data/safety tests/data/torch tests/data/fuzz-crashes)
  [ "$t" = fuzz_archive ] && sources=(tests/data/torch tests/data/safety tests/data/fuzz-crashes)
  for s in "${sources[@]}"; do
    [ -d "$s" ] || continue
    find "$s" -type f -size -1024k ! -name '*.tsv' ! -name '*.py' ! -name '.keep' -exec cp -n {} "$dir"/ \; 2>/dev/null || true
  done
  echo "$dir"
}

cpu_seconds() { # user + system CPU of this shell's finished children, whole seconds, into $cpu
  local f=build/fuzz/logs/.times
  mkdir -p build/fuzz/logs
  times >"$f" # a redirected builtin runs in this shell (a $(...) subshell would see no children)
  cpu=$(tail -1 "$f" | awk '{ split($1, u, "m"); split($2, s, "m"); printf "%d\n", u[1] * 60 + u[2] + s[1] * 60 + s[2] }')
}

run() { # target seconds
  local t="$1" secs="$2" corpus
  corpus=$(seed "$t")
  mkdir -p build/fuzz/artifacts
  echo "== $t for ${secs}s (corpus: $(ls "$corpus" | wc -l) files)"
  local dict=()
  [ -f tests/fuzz/pickle.dict ] && [ "$t" != fuzz_archive ] && dict=(-dict=tests/fuzz/pickle.dict)
  local log="build/fuzz/logs/$t.log" status=0 before after
  mkdir -p build/fuzz/logs
  cpu_seconds; before=$cpu
  "$bin/$t" "$corpus" "${dict[@]}" -max_total_time="$secs" -timeout=10 \
    -rss_limit_mb=2048 -malloc_limit_mb=1024 -max_len=65536 -print_final_stats=1 \
    -artifact_prefix="build/fuzz/artifacts/$t-" >"$log" 2>&1 || status=$?
  cpu_seconds; after=$cpu
  grep -E "^#[0-9]+[[:space:]]+(INITED|DONE)|stat::number_of_executed_units|ERROR|SUMMARY|Test unit written" "$log" || true
  echo "cpu_seconds: $((after - before))"
  if [ "$status" -ne 0 ]; then
    echo "fuzz.sh: $t failed (exit $status); reproducers in build/fuzz/artifacts/" >&2
    return 1
  fi
}

case "$mode" in
  smoke)
    per=$((60 / ${#targets[@]}))
    [ "$per" -gt 20 ] && per=20
    rc=0
    for t in "${targets[@]}"; do run "$t" "$per" || rc=1; done
    exit $rc
    ;;
  long)
    secs="${2:?usage: fuzz.sh long SECONDS [target...]}"
    shift 2
    [ "$#" -gt 0 ] && targets=("$@")
    rc=0
    for t in "${targets[@]}"; do run "$t" "$secs" || rc=1; done
    exit $rc
    ;;
  repro)
    rc=0
    for t in "${targets[@]}"; do
      "$bin/$t" -runs=0 tests/data/fuzz-crashes >/dev/null 2>&1 || { echo "fuzz.sh: $t crashes on a committed reproducer" >&2; rc=1; }
    done
    exit $rc
    ;;
  *) echo "usage: $0 smoke | long SECONDS [target...] | repro" >&2; exit 2 ;;
esac
