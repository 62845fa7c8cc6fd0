#!/usr/bin/python3
"""Compare benchmark: `picklescope-cli diff` on two ~1 GiB checkpoints against a Python script
that does torch.load on both and torch.allclose per tensor, in the same run.

Generates its inputs in a temporary folder (deleted afterwards unless --keep):
  a.pt  64 x 2048x2048 float32 weights + 64 biases (1.0 GiB, torch.save zip)
  b.pt  the same weights with one weight moved by 1e-3 in 1,000 places and one bias by 1
  same.pt      the same weights saved again (every element agrees: `same` everywhere)
  every.pt     every element moved: w * (1 + 1e-3) + 1e-3 (every element differs: `changed`)
  every_close.pt  every element moved by a relative 1e-6 (every element differs, all `close`)
Cases (--cases, comma-separated; default all): mostly (a vs b, plus the Python baseline), same
(a vs same.pt), every (a vs every.pt), every_close (a vs every_close.pt).
Runs each command once to warm the page cache, then best of --runs, and reports wall time,
tensor bytes per second (both files' tensor bytes / time), peak RSS and peak anonymous RSS
(RssAnon polled from /proc every 5 ms: the memory beyond the mapped files).

Usage: tests/bench/bench_compare.py [--cli PATH] [--runs N] [--keep DIR] [--cases LIST]
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

PY_BASELINE = r"""
import sys, torch
a = torch.load(sys.argv[1]); b = torch.load(sys.argv[2])
bad = 0
for k in a.keys() | b.keys():
    if k not in a or k not in b or a[k].shape != b[k].shape or not torch.allclose(a[k], b[k]):
        bad += 1
print(bad)
"""


def generate(folder):
    import torch
    a, b = os.path.join(folder, "a.pt"), os.path.join(folder, "b.pt")
    if not (os.path.exists(a) and os.path.exists(b)):
        torch.manual_seed(0)
        sd = {}
        for i in range(64):
            sd["layer%d.weight" % i] = torch.randn(2048, 2048)
            sd["layer%d.bias" % i] = torch.randn(2048)
        torch.save(sd, a)
        sd["layer10.weight"].view(-1)[::4096][:1000] += 1e-3
        sd["layer20.bias"][5] += 1.0
        torch.save(sd, b)
        del sd
    return a, b


def generate_variant(folder, name):
    """same.pt / every.pt / every_close.pt from a.pt's weights (made on first use)."""
    import torch
    out = os.path.join(folder, name)
    if not os.path.exists(out):
        torch.manual_seed(0)
        sd = {}
        for i in range(64):
            sd["layer%d.weight" % i] = torch.randn(2048, 2048)
            sd["layer%d.bias" % i] = torch.randn(2048)
        for k, t in sd.items():
            if name == "every.pt":
                t.mul_(1 + 1e-3).add_(1e-3)
            elif name == "every_close.pt":
                t.mul_(1 + 1e-6)
        torch.save(sd, out)
        del sd
    return out


def status_field(pid, field):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def measure(cmd):
    """(seconds, peak RSS MiB, peak anonymous RSS MiB, stdout)"""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak_anon = 0
    while proc.poll() is None:
        peak_anon = max(peak_anon, status_field(proc.pid, "RssAnon"))
        time.sleep(0.005)
    out, err = proc.communicate()
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 4):
        raise SystemExit("command failed (%d): %s\n%s" % (proc.returncode, " ".join(cmd), err))
    return elapsed, peak_anon / 1024, out


def peak_rss(cmd):
    proc = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, capture_output=True, text=True)
    return int(proc.stderr.strip().splitlines()[-1]) / 1024


def best(cmd, runs):
    measure(cmd)  # warm: page cache and first-touch costs out of the timed runs
    results = [measure(cmd) for _ in range(runs)]
    t = min(r[0] for r in results)
    anon = max(r[1] for r in results)
    return t, anon, results[-1][2], peak_rss(cmd)


def main():
    root = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    default_cli = os.path.join(root, "build/release/app/picklescope-cli")
    if not os.path.exists(default_cli):
        default_cli = os.path.join(root, "build/dev/app/picklescope-cli")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cli", default=default_cli)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", help="generate into / reuse this folder and keep it")
    parser.add_argument("--cases", default="mostly,same,every,every_close")
    args, _ = parser.parse_known_args()
    folder = args.keep or tempfile.mkdtemp(prefix="ps-bench-compare-")
    os.makedirs(folder, exist_ok=True)
    try:
        a, b = generate(folder)
        tensor_bytes = 2 * 64 * (2048 * 2048 + 2048) * 4
        print("inputs: %s, %s (%.2f GiB each)" % (a, b, os.path.getsize(a) / 2**30))
        print("cli: %s" % args.cli)
        cases = args.cases.split(",")
        try:
            print("load average: %.2f %.2f %.2f" % os.getloadavg())
        except OSError:
            pass
        if "mostly" in cases:
            t, anon, out, rss = best([args.cli, "diff", a, b], args.runs)
            summary = [l for l in out.splitlines() if "paths:" in l]
            print("ours   diff:          %.3f s  %.2f GB/s of tensor bytes  peak RSS %.0f MiB (anon %.0f MiB)  %s"
                  % (t, tensor_bytes / t / 1e9, rss, anon, summary[0] if summary else ""))
            pt, panon, pout, prss = best(["/usr/bin/python3", "-c", PY_BASELINE, a, b], max(1, args.runs - 1))
            print("python torch.load x2 + allclose: %.3f s  %.2f GB/s  peak RSS %.0f MiB  (%s tensors differ)"
                  % (pt, tensor_bytes / pt / 1e9, prss, pout.strip()))
            print("ratio: picklescope diff is %.1fx faster than torch.load + torch.allclose" % (pt / t))
        for case, label in (("same", "all agree"), ("every", "every element differs (changed)"),
                            ("every_close", "every element differs (close)")):
            if case not in cases:
                continue
            other = generate_variant(folder, case + ".pt")
            t, anon, out, rss = best([args.cli, "diff", a, other], args.runs)
            summary = [l for l in out.splitlines() if "paths:" in l]
            print("ours   diff, %s: %.3f s  %.2f GB/s of tensor bytes  peak RSS %.0f MiB (anon %.0f MiB)  %s"
                  % (label, t, tensor_bytes / t / 1e9, rss, anon, summary[0] if summary else ""))
        try:
            print("load average after: %.2f %.2f %.2f" % os.getloadavg())
        except OSError:
            pass
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
