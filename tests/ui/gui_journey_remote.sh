#!/usr/bin/env bash
# tests/ui/gui_journey_remote.sh OUTDIR: issue 15's journey under Xvfb (xdotool), a screenshot per
# step. Serves a generated 1 GiB checkpoint (tests/bench/bench_remote.py's generator) with
# tests/bench/range_server.py on 127.0.0.1, opens its URL with File ▸ Open URL… (Ctrl+Shift+O),
# selects a tensor (a click on its row), computes its statistics; opens a local file; opens a URL on a
# server without range support and cancels "Download and open" once, then accepts it. The
# checkpoint, the servers and the settings are removed afterwards.
set -u
root="$(cd "$(dirname "$0")/../.." && pwd)"
bin="${PICKLESCOPE_GUI:-$root/build/dev/app/picklescope}"
out="${1:?usage: gui_journey_remote.sh OUTDIR}"
mkdir -p "$out"
work="$(mktemp -d /tmp/ps-journey-remote-XXXXXX)"
export XDG_CONFIG_HOME="$work/config" XDG_CACHE_HOME="$work/cache"
/usr/bin/python3 "$root/tests/bench/bench_remote.py" --keep "$work/big" --runs 0 > "$work/serve.txt" || { rm -rf "$work"; exit 1; }
big_url=$(sed -n 's/^serving \(http[^ ]*\) (server pid \([0-9]*\)).*/\1/p' "$work/serve.txt")
big_pid=$(sed -n 's/^serving \(http[^ ]*\) (server pid \([0-9]*\)).*/\2/p' "$work/serve.txt")
mkdir -p "$work/plain"
cp "$root/tests/data/torch/half_patterns.pt" "$work/plain/"
/usr/bin/python3 "$root/tests/bench/range_server.py" "$work/plain" --no-ranges --port-file "$work/norange.port" > /dev/null &
norange_pid=$!
for _ in $(seq 50); do [ -s "$work/norange.port" ] && break; sleep 0.1; done
norange_url="http://127.0.0.1:$(cat "$work/norange.port")/half_patterns.pt"
echo "big: $big_url  no-range: $norange_url"
xvfb-run -a -s '-screen 0 1600x1000x24' bash -c '
  bin=$1; out=$2; big=$3; norange=$4; local=$5
  focus() { xdotool windowfocus --sync "$wid"; sleep 0.3; }
  openurl() { # File > Open URL… (Ctrl+Shift+O), type the URL, Enter
    focus; xdotool key ctrl+shift+o; sleep 1.5
    xdotool key ctrl+a; xdotool type --delay 5 "$1"; sleep 0.3; xdotool key Return; sleep "${2:-4}"
  }
  "$bin" & pid=$!
  sleep 4
  wid=$(xdotool search --sync --limit 1 --pid "$pid" --onlyvisible | head -1)
  xdotool windowmove "$wid" 0 0 windowsize "$wid" 1600 1000; sleep 1
  openurl "$big" 6
  import -window root "$out/issue15-01-remote-1gib-opened.png"
  # The row of layers.7.weight in the value tree (the window is 1600 x 1000 at 0,0).
  xdotool mousemove 130 274 click 1; sleep 5
  import -window root "$out/issue15-02-remote-tensor-window.png"
  # Compute statistics: the button by its place in the pane (see shot 02).
  xdotool mousemove "${STATS_X:-1366}" "${STATS_Y:-147}" click 1; sleep 12
  import -window root "$out/issue15-03-remote-statistics.png"
  focus; xdotool key ctrl+o; sleep 1.5
  xdotool key ctrl+a; xdotool type --delay 5 "$local"; sleep 0.3; xdotool key Return; sleep 3
  import -window root "$out/issue15-04-local-after-remote.png"
  openurl "$norange" 3
  import -window root "$out/issue15-05-download-offer.png"
  xdotool key Escape; sleep 1.5
  import -window root "$out/issue15-06-download-declined.png"
  openurl "$norange" 3
  xdotool key Return; sleep 4
  import -window root "$out/issue15-07-downloaded-copy.png"
  kill $pid
' _ "$bin" "$out" "$big_url" "$norange_url" "$root/tests/data/ui/tensors.pt"
kill "$big_pid" "$norange_pid" 2>/dev/null
rm -rf "$work"
