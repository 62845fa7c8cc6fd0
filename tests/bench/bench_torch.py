#!/usr/bin/python3
"""Torch checkpoint benchmark: picklescope against torch.load on the same files, same run.

Generates its inputs in a temporary folder (nothing is written to the repository):
  big.pt    a ~1 GiB state dict: 64 x 2048x2048 float32 weights + 64 biases (torch.save zip)
  tiny.pt   20,000 tiny tensors (8 float32 each) in one state dict
and reports, best of N runs each, wall time and peak RSS (/usr/bin/time) of
  ours:        picklescope-cli info FILE            (whole process: open + tensor table)
  ours stats:  picklescope-cli info --stats FILE    (statistics over every tensor; GB/s)
  torch.load:  /usr/bin/python3 -c 'import torch; torch.load(F)'
  import:      /usr/bin/python3 -c 'import torch'   (the floor under torch.load)
  vs cat:      info --stats big.pt against `cat big.pt > /dev/null` (page cache warm), run
               alternately in one loop, best of N of each: wall and CPU (user + system) time,
               their ratios, with the load average and the transparent-huge-page mode
When the CLI has no `info` command yet, tests/bench/torch_info_driver.cpp is compiled against
the build's libcore.a and used instead (same work: load, tensor table, optional stats).

Usage: tests/bench/bench_torch.py [--cli PATH] [--build DIR] [--runs N] [--keep DIR] [--stats-vs-cat]
"""
import argparse
import atexit
import os
import shutil
import subprocess
import sys
import tempfile
import time


def generate(folder):
    import torch
    paths = {}
    paths["big"] = os.path.join(folder, "big.pt")
    if not os.path.exists(paths["big"]):
        torch.manual_seed(0)
        sd = {}
        for i in range(64):
            sd["layer%d.weight" % i] = torch.randn(2048, 2048)
            sd["layer%d.bias" % i] = torch.randn(2048)
        torch.save(sd, paths["big"])
        del sd
    paths["tiny"] = os.path.join(folder, "tiny.pt")
    if not os.path.exists(paths["tiny"]):
        torch.save({"t%05d" % i: torch.full((8,), i / 1000.0) for i in range(20000)}, paths["tiny"])
    return paths


def measure(cmd, runs):
    best_time, best_rss, out = None, None, ""
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(["/usr/bin/time", "-f", "%e %M"] + cmd, capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        if proc.returncode != 0:
            raise SystemExit("command failed: %s\n%s" % (" ".join(cmd), proc.stderr))
        rss_kb = int(proc.stderr.strip().splitlines()[-1].split()[1])
        out = proc.stdout
        best_time = elapsed if best_time is None else min(best_time, elapsed)
        best_rss = rss_kb / 1024 if best_rss is None else min(best_rss, rss_kb / 1024)
    return best_time, best_rss, out


def run_timed(cmd):
    """Wall seconds and CPU seconds (user + system, from wait4) of one run, output discarded."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit("command failed (%d): %s" % (proc.returncode, " ".join(cmd)))
    return wall, usage.ru_utime + usage.ru_stime


def thp_mode():
    try:
        with open("/sys/kernel/mm/transparent_hugepage/enabled") as f:
            return f.read().strip()
    except OSError:
        return "unknown"


def stats_vs_cat(stats_cmd, path, runs):
    """info --stats against cat of the same file, alternately, page cache warm (a first cat)."""
    run_timed(["cat", path])
    best = {"cat": [1e9, 1e9], "stats": [1e9, 1e9]}
    for _ in range(max(runs, 5)):
        for name, cmd in (("cat", ["cat", path]), ("stats", stats_cmd)):
            wall, cpu = run_timed(cmd)
            best[name][0] = min(best[name][0], wall)
            best[name][1] = min(best[name][1], cpu)
    load = os.getloadavg()
    print("info --stats vs cat, page cache warm, best of %d each, alternating; load average "
          "%.2f %.2f %.2f; THP %s" % (max(runs, 5), load[0], load[1], load[2], thp_mode()))
    for name, label in (("cat", "cat FILE > /dev/null"), ("stats", "picklescope-cli info --stats")):
        print("  %-30s wall %7.3f s   CPU %7.3f s" % (label, best[name][0], best[name][1]))
    print("  ratio vs cat: wall %.2fx   CPU %.2fx" % (best["stats"][0] / best["cat"][0],
                                                   best["stats"][1] / max(best["cat"][1], 1e-3)))


def cli_has_info(cli):
    if not os.path.exists(cli):
        return False
    proc = subprocess.run([cli, "info", "--help"], capture_output=True, text=True)
    return proc.returncode in (0, 2) and "unknown command" not in (proc.stdout + proc.stderr).lower()


def build_driver(root, build):
    src = os.path.join(root, "tests", "bench", "torch_info_driver.cpp")
    lib = os.path.join(build, "core", "libcore.a")
    out = os.path.join(tempfile.gettempdir(), "picklescope_torch_info_driver")
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "Qt6Core"], capture_output=True,
                           text=True, check=True).stdout.split()
    subprocess.run(["g++", "-std=c++20", "-O2", "-fPIC", "-I", root, src, lib] + flags
                   + ["-lz", "-lbz2", "-llzma", "-llz4", "-o", out], check=True)
    return [out], lambda f, stats: [out, f] + (["--stats"] if stats else [])


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    parser = argparse.ArgumentParser()
    parser.add_argument("--cli", default=os.path.join(root, "build/release/app/picklescope-cli"))
    parser.add_argument("--build", default=os.path.join(root, "build/release"),
                        help="build folder whose core/libcore.a the fallback driver links")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", help="folder for the generated inputs (kept)")
    parser.add_argument("--stats-vs-cat", action="store_true",
                        help="only info --stats against cat on big.pt")
    args = parser.parse_args()
    folder = args.keep or tempfile.mkdtemp(prefix="picklescope-bench-torch-")
    if not args.keep:
        atexit.register(shutil.rmtree, folder, True)  # the inputs are large: never leave them behind
    os.makedirs(folder, exist_ok=True)
    paths = generate(folder)
    if cli_has_info(args.cli):
        ours = lambda f, stats: [args.cli, "info"] + (["--stats"] if stats else []) + [f]
        print("ours: %s info" % args.cli)
    else:
        _, ours = build_driver(root, args.build)
        print("ours: tests/bench/torch_info_driver.cpp (picklescope-cli info not built yet)")

    if args.stats_vs_cat:
        stats_vs_cat(ours(paths["big"], True), paths["big"], args.runs)
        return
    imp_t, imp_m, _ = measure(["/usr/bin/python3", "-c", "import torch"], args.runs)
    print("import torch alone: %.3f s, %.0f MB" % (imp_t, imp_m))
    print("%-6s %9s | %8s %8s | %9s %8s | %8s %8s | %8s %8s" % (
        "input", "size MB", "ours s", "ours MB", "torch s", "torch MB", "time x", "mem x",
        "x-import", "stats s"))
    for name, path in paths.items():
        size = os.path.getsize(path) / 2**20
        ours_t, ours_m, _ = measure(ours(path, False), args.runs)
        torch_t, torch_m, _ = measure(
            ["/usr/bin/python3", "-c", "import sys, torch; torch.load(sys.argv[1])", path], args.runs)
        stats_t, _, stats_out = measure(ours(path, True), 1 if name == "tiny" else args.runs)
        # time x: ours / torch.load (whole processes); x-import: ours / (torch.load - import torch)
        load_only = max(torch_t - imp_t, 1e-3)
        print("%-6s %9.1f | %8.3f %8.1f | %9.3f %8.1f | %8.3f %8.3f | %8.3f %8.3f" % (
            name, size, ours_t, ours_m, torch_t, torch_m, ours_t / torch_t, ours_m / torch_m,
            ours_t / load_only, stats_t))
        print("       info --stats over every tensor (whole process, load included): %.2f GB/s"
              % (os.path.getsize(path) / stats_t / 1e9))
        if name == "big":
            stats_vs_cat(ours(path, True), path, args.runs)
        sys.stdout.flush()


if __name__ == "__main__":
    main()
