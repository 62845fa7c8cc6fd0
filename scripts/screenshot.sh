#!/usr/bin/env bash
# Screenshot check: runs picklescope under Xvfb, opens a checkpoint, selects a value (a tensor by
# default) and saves the whole screen as a PNG. Usage:
#   scripts/screenshot.sh [FILE] [ACCESS_PATH] [OUT.png]
# SCREENSHOT_FIND='dtype:float16' types that query into the find bar (Ctrl+F, Enter) before the
# shot; SCREENSHOT_ONLY_MATCHES=1 then ticks "Only matches" (Alt+O). Both need xdotool.
# Needs xvfb-run and ImageMagick's import (scripts/setup.sh gui).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${PICKLESCOPE_GUI:-$root/build/dev/app/picklescope}"
file="${1-$root/resources/samples/sample_checkpoint.pt}"
select="${2:-}"
out="${3:-$root/build/screenshot.png}"
wait_s="${SCREENSHOT_WAIT:-4}"
[ -x "$bin" ] || { echo "screenshot: $bin not built (cmake --build --preset dev --target picklescope)" >&2; exit 2; }
mkdir -p "$(dirname "$out")"
export XDG_CONFIG_HOME="$(mktemp -d)" # a fresh QSettings: default geometry and splitters
args=()
[ -n "$file" ] && [ -e "$file" ] && args+=("$file")
[ -n "$select" ] && args+=(--select "$select")
xvfb-run -a -s "-screen 0 1400x900x24" bash -c '
  "$0" "${@:3}" &
  pid=$!
  sleep "$1"
  # Maximise the window so the screenshot shows the default layout at full size.
  if command -v xdotool >/dev/null; then
    wid=$(xdotool search --sync --limit 1 --pid "$pid" --onlyvisible 2>/dev/null | head -1 || true)
    [ -n "$wid" ] && xdotool windowmove "$wid" 0 0 windowsize "$wid" 1400 900 && sleep 1
  fi
  if [ -n "${SCREENSHOT_FIND:-}" ] && command -v xdotool >/dev/null; then
    [ -n "${wid:-}" ] && xdotool windowfocus --sync "$wid" 2>/dev/null
    xdotool key ctrl+f && xdotool type --delay 20 "$SCREENSHOT_FIND" && xdotool key Return && sleep 1
    [ -n "${SCREENSHOT_ONLY_MATCHES:-}" ] && xdotool key alt+o && sleep 1
  fi
  import -window root "$2"
  kill "$pid"
' "$bin" "$wait_s" "$out" "${args[@]}"
echo "screenshot: $out"
