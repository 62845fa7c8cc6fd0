#!/usr/bin/env bash
# tests/ui/gui_journey.sh OUTDIR: drives the window under Xvfb like a user (xdotool), screenshots each step.
set -u
root="$(cd "$(dirname "$0")/../.." && pwd)"
bin="${PICKLESCOPE_GUI:-$root/build/dev/app/picklescope}"
data="$root/tests/data/ui"
out="${1:?usage: gui_journey.sh OUTDIR}"
export XDG_CONFIG_HOME="$(mktemp -d)"
xvfb-run -a -s '-screen 0 1600x1000x24' bash -c '
  bin=$1; data=$2; out=$3
  openvia() { # File > Open, type the path in the dialog, Enter
    xdotool windowfocus --sync "$wid"; sleep 0.3
    xdotool key ctrl+o; sleep 1.5
    dlg=$(xdotool search --onlyvisible --name "Open Pickle" | head -1)
    [ -n "$dlg" ] && xdotool windowfocus --sync "$dlg"
    sleep 0.3
    xdotool key ctrl+a; xdotool type --delay 5 "$1"; sleep 0.3; xdotool key Return; sleep "${2:-3}"
  }
  "$bin" "$data/malicious.pkl" & pid=$!
  sleep 4
  wid=$(xdotool search --sync --limit 1 --pid "$pid" --onlyvisible | head -1)
  xdotool windowmove "$wid" 0 0 windowsize "$wid" 1600 1000; sleep 1
  import -window root "$out/01-malicious.png"
  openvia "$data/tensors.pt"
  import -window root "$out/02-harmless-after-malicious.png"
  openvia "$data/root_tensor.pt"
  import -window root "$out/03-root-tensor.png"
  openvia "$data/truncated.pkl"
  import -window root "$out/04-pickle-cut-half-way.png"
  openvia "$data/missing_storage.pt"
  import -window root "$out/05-zip-missing-storage.png"
  openvia "$data/complex.pt"
  import -window root "$out/06-complex-file.png"
  kill $pid
' _ "$bin" "$data" "$out"
