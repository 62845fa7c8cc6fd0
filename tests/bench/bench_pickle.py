#!/usr/bin/python3
"""Load benchmark: picklescope-cli against CPython's pickle.load on the same files, same run.

Generates its inputs in a temporary folder (nothing is written to the repository):
  records.pkl  300,000 records (dicts of str/int/float/list/bytes/bool/None), protocol 4, ~24 MB
  numbers.pkl  4,000,000 numbers (ints and floats), protocol 2, ~28 MB
and reports, best of N runs each, wall time and peak RSS of
  ours:    picklescope-cli info FILE          (load + summary, whole process)
  cpython: /usr/bin/python3 -c 'pickle.load'  (whole process, and the load alone timed inside)

Usage: tests/bench/bench_pickle.py [--cli PATH] [--runs N] [--keep DIR]
"""
import argparse
import os
import pickle
import random
import subprocess
import sys
import tempfile
import time


def generate(folder):
    random.seed(1)
    records = [{
        "id": i, "name": "user%d" % i, "score": random.random(), "tags": ["a", "b", str(i % 7)],
        "blob": bytes([i % 256]) * 8, "active": i % 2 == 0, "ratio": i / 3.0, "parent": None,
    } for i in range(300_000)]
    paths = {}
    paths["records"] = os.path.join(folder, "records.pkl")
    with open(paths["records"], "wb") as f:
        pickle.dump(records, f, protocol=4)
    numbers = [random.random() if i % 2 else random.randint(-10**6, 10**6) for i in range(4_000_000)]
    paths["numbers"] = os.path.join(folder, "numbers.pkl")
    with open(paths["numbers"], "wb") as f:
        pickle.dump(numbers, f, protocol=2)
    return paths


def measure(cmd, runs):
    """Best wall time (s) and peak RSS (MB) of a command over `runs` runs."""
    best_time, best_rss, out = None, None, ""
    for _ in range(runs):
        wrapped = ["/usr/bin/time", "-f", "%e %M"] + cmd
        start = time.perf_counter()
        proc = subprocess.run(wrapped, capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        if proc.returncode != 0:
            raise SystemExit("command failed: %s\n%s" % (" ".join(cmd), proc.stderr))
        rss_kb = int(proc.stderr.strip().splitlines()[-1].split()[1])
        out = proc.stdout
        best_time = elapsed if best_time is None else min(best_time, elapsed)
        best_rss = rss_kb / 1024 if best_rss is None else min(best_rss, rss_kb / 1024)
    return best_time, best_rss, out


LOAD_ONLY = ("import pickle,sys,time\n"
             "d=open(sys.argv[1],'rb').read()\n"
             "t=time.perf_counter(); pickle.loads(d); print(time.perf_counter()-t)")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    parser = argparse.ArgumentParser()
    parser.add_argument("--cli", default=os.path.join(root, "build/release/app/picklescope-cli"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", help="folder for the generated inputs (kept)")
    args = parser.parse_args()
    folder = args.keep or tempfile.mkdtemp(prefix="picklescope-bench-")
    os.makedirs(folder, exist_ok=True)
    paths = generate(folder)
    print("%-10s %10s | %9s %8s | %9s %8s %10s | %7s %7s" % (
        "input", "size MB", "ours s", "ours MB", "python s", "py MB", "py load s", "time x", "mem x"))
    for name, path in paths.items():
        ours_t, ours_m, _ = measure([args.cli, "info", path], args.runs)
        py_t, py_m, _ = measure(["/usr/bin/python3", "-c", "import pickle,sys; pickle.load(open(sys.argv[1],'rb'))", path], args.runs)
        load_only = min(float(subprocess.run(["/usr/bin/python3", "-c", LOAD_ONLY, path], capture_output=True,
                                             text=True).stdout) for _ in range(args.runs))
        print("%-10s %10.1f | %9.3f %8.1f | %9.3f %8.1f %10.3f | %7.2f %7.2f" % (
            name, os.path.getsize(path) / 1e6, ours_t, ours_m, py_t, py_m, load_only, ours_t / py_t, ours_m / py_m))
    print("time x = our whole process / CPython whole process (pickle.load); mem x = peak RSS ratio")


if __name__ == "__main__":
    main()
