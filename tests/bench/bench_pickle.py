#!/usr/bin/python3
"""Load benchmark: picklescope-cli against CPython's pickle.load on the same files, same run.

Generates its inputs in a temporary folder (nothing is written to the repository):
  records.pkl  300,000 records (dicts of str/int/float/list/bytes/bool/None), protocol 4, ~24 MB
  numbers.pkl  4,000,000 numbers (ints and floats), protocol 2, ~28 MB
  deep.pkl     a list nested 200,000 deep, protocol 2, written byte by byte (CPython's pickler refuses
               that depth; its unpickler reads it): ] then (] x 200,000 then e x 200,000, ~0.6 MB
and reports, best of N interleaved runs each (ours, then CPython, N times), wall time, CPU time
(user + sys) and peak RSS of
  ours:    picklescope-cli info FILE          (load + safety scan + tensor table, whole process)
  cpython: /usr/bin/python3 -c 'pickle.load'  (whole process, and the load alone timed inside)

Usage: tests/bench/bench_pickle.py [--cli PATH] [--runs N] [--keep DIR]
"""
import argparse
import os
import pickle
import random
import shutil
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
    depth = 200_000
    paths["deep"] = os.path.join(folder, "deep.pkl")
    with open(paths["deep"], "wb") as f:
        f.write(b"\x80\x02]" + b"(]" * depth + b"e" * depth + b".")
    return paths


def measure_once(cmd):
    """Wall time (s), peak RSS (MB) and CPU time (user + sys, s) of one run of a command."""
    wrapped = ["/usr/bin/time", "-f", "%e %M %U %S"] + cmd
    start = time.perf_counter()
    proc = subprocess.run(wrapped, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit("command failed: %s\n%s" % (" ".join(cmd), proc.stderr))
    fields = proc.stderr.strip().splitlines()[-1].split()
    return elapsed, int(fields[1]) / 1024, float(fields[2]) + float(fields[3])


def measure(commands, runs):
    """Each command `runs` times, interleaved (a, b, a, b, ...): per command the best wall time,
    the best CPU time and the smallest peak RSS (each the best of its own column)."""
    best = [[None, None, None] for _ in commands]
    for _ in range(runs):
        for i, cmd in enumerate(commands):
            for column, value in enumerate(measure_once(cmd)):
                if best[i][column] is None or value < best[i][column]:
                    best[i][column] = value
    return best


LOAD_ONLY = ("import pickle,sys,time\n"
             "d=open(sys.argv[1],'rb').read()\n"
             "t=time.perf_counter(); pickle.loads(d); print(time.perf_counter()-t)")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    parser = argparse.ArgumentParser()
    parser.add_argument("--cli", default=os.path.join(root, "build/release/app/picklescope-cli"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", help="folder for the generated inputs (kept)")
    args = parser.parse_args()
    folder = args.keep or tempfile.mkdtemp(prefix="picklescope-bench-")
    os.makedirs(folder, exist_ok=True)
    try:
        run(args, folder)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


def run(args, folder):
    paths = generate(folder)
    try:
        thp = open("/sys/kernel/mm/transparent_hugepage/enabled").read().strip()
    except OSError:
        thp = "unknown"
    print("machine: %d cores, load average %.2f, transparent huge pages: %s" % (
        os.cpu_count(), os.getloadavg()[0], thp))
    print("%-10s %8s | %7s %7s %7s | %7s %7s %7s %9s | %6s %6s %6s" % (
        "input", "size MB", "ours s", "cpu s", "MB", "py s", "cpu s", "MB", "py load s", "time x", "cpu x", "mem x"))
    for name, path in paths.items():
        (ours_t, ours_m, ours_c), (py_t, py_m, py_c) = measure([
            [args.cli, "info", path],
            ["/usr/bin/python3", "-c", "import pickle,sys; pickle.load(open(sys.argv[1],'rb'))", path]], args.runs)
        load_only = min(float(subprocess.run(["/usr/bin/python3", "-c", LOAD_ONLY, path], capture_output=True,
                                             text=True).stdout) for _ in range(args.runs))
        print("%-10s %8.1f | %7.3f %7.2f %7.1f | %7.3f %7.2f %7.1f %9.3f | %6.2f %6.2f %6.2f" % (
            name, os.path.getsize(path) / 1e6, ours_t, ours_c, ours_m, py_t, py_c, py_m, load_only,
            ours_t / py_t, ours_c / py_c, ours_m / py_m))
    print("load average after: %.2f" % os.getloadavg()[0])
    print("ours = picklescope-cli info (load + safety scan + tensor table), whole process; py = python3 -c "
          "pickle.load, whole process; time x = wall-time ratio, cpu x = user+sys ratio (info scans on a "
          "second thread while it loads), mem x = peak RSS ratio; each the best of --runs interleaved runs")


if __name__ == "__main__":
    main()
