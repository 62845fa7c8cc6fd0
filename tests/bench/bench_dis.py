#!/usr/bin/python3
"""Benchmark: `picklescope-cli dis` against `python3 -m pickletools` on the same file.

Generates 10,000 records (dicts with str/int/float/list/bytes, protocol 4), disassembles the
file with both tools (stdout to /dev/null), best of N wall times, peak RSS of each process
(/usr/bin/time -f %M, from Debian's "time" package; wait4 as a fallback), and prints the ratios. Target: dis time <= 0.02x pickletools.

usage: /usr/bin/python3 tests/bench/bench_dis.py [--cli PATH] [--records N] [--runs N] [--keep DIR]
(default CLI: $PICKLESCOPE_CLI, else build/release/app/picklescope-cli, else build/dev/...)
"""

import argparse
import atexit
import os
import shutil
import pickle
import random
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))


def make_records(n):
    rng = random.Random(1234)
    records = []
    for i in range(n):
        records.append({
            "id": i,
            "name": "record-%06d" % i,
            "score": rng.random() * 1000.0,
            "tags": ["t%d" % rng.randrange(50) for _ in range(rng.randrange(1, 5))],
            "values": [rng.randrange(-10**6, 10**6) for _ in range(4)],
            "blob": rng.randbytes(rng.randrange(8, 48)),
            "active": bool(i & 1),
            "ratio": i / 7.0,
        })
    return records


def run_once(argv):
    """Wall time of one run, output discarded. posix_spawn (vfork + exec) keeps the launch cost
    of this Python process out of the figure."""
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        start = time.perf_counter()
        pid = os.posix_spawn(argv[0], argv, os.environ,
                             file_actions=[(os.POSIX_SPAWN_DUP2, null, 1), (os.POSIX_SPAWN_DUP2, null, 2)])
        _, status = os.waitpid(pid, 0)
        elapsed = time.perf_counter() - start
    finally:
        os.close(null)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit("%s failed with status %d" % (" ".join(argv), os.waitstatus_to_exitcode(status)))
    return elapsed


def peak_rss_kib(argv):
    """Peak RSS of the command alone. /usr/bin/time forks from a small process, so the pages of
    this Python process (which a fork would share and count) stay out of the figure."""
    if os.access("/usr/bin/time", os.X_OK):
        with tempfile.NamedTemporaryFile("r", suffix=".rss") as out, open(os.devnull, "wb") as null:
            subprocess.run(["/usr/bin/time", "-f", "%M", "-o", out.name] + argv, stdout=null,
                           stderr=subprocess.DEVNULL, check=True)
            return int(out.read().strip().splitlines()[-1])
    # Fallback: wait4 on a direct child (includes what the fork inherited before exec).
    with open(os.devnull, "wb") as null:
        proc = subprocess.Popen(argv, stdout=null)
        _, _, usage = os.wait4(proc.pid, 0)
        proc.returncode = 0
    return usage.ru_maxrss


def best_of(argv, runs):
    return min(run_once(argv) for _ in range(runs)), peak_rss_kib(argv)


def main():
    parser = argparse.ArgumentParser()
    default_cli = os.environ.get("PICKLESCOPE_CLI")
    if not default_cli:  # the Release build scripts/bench.sh makes, else the dev build
        candidates = [os.path.join(ROOT, "build", p, "app", "picklescope-cli") for p in ("release", "ci", "dev")]
        default_cli = next((c for c in candidates if os.access(c, os.X_OK)), candidates[-1])
    parser.add_argument("--cli", default=default_cli)
    parser.add_argument("--records", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", help="write the input file into this directory and keep it")
    args, _ = parser.parse_known_args()  # scripts/bench.sh passes its options to every bench
    if not os.access(args.cli, os.X_OK):
        sys.exit("picklescope-cli not found at %s (build it or pass --cli)" % args.cli)

    directory = args.keep or tempfile.mkdtemp(prefix="bench_dis_")
    if not args.keep:
        atexit.register(shutil.rmtree, directory, True)  # the inputs are large: never leave them behind
    path = os.path.join(directory, "dis_records_p4.pkl")
    # Generated in a child process so this one stays small.
    subprocess.run(["/usr/bin/python3", "-c",
                    "import sys, pickle; sys.path.insert(0, %r); import bench_dis; "
                    "open(sys.argv[1], 'wb').write(pickle.dumps(bench_dis.make_records(int(sys.argv[2])), protocol=4))"
                    % HERE, path, str(args.records)], check=True)
    size = os.path.getsize(path)

    # Same text from both before timing anything.
    ours = subprocess.run([args.cli, "dis", path], capture_output=True).stdout
    theirs = subprocess.run(["/usr/bin/python3", "-m", "pickletools", path], capture_output=True).stdout
    identical = ours == theirs
    lines = theirs.count(b"\n")

    py_time, py_rss = best_of(["/usr/bin/python3", "-m", "pickletools", path], args.runs)
    ps_time, ps_rss = best_of([args.cli, "dis", path], args.runs)

    print("input: %d records, protocol 4, %d bytes, %d lines of listing" % (args.records, size, lines))
    print("output identical to pickletools: %s" % ("yes" if identical else "NO"))
    print("%-28s %10s %12s" % ("", "wall (s)", "peak RSS (MiB)"))
    print("%-28s %10.4f %12.1f" % ("python3 -m pickletools", py_time, py_rss / 1024.0))
    print("%-28s %10.4f %12.1f" % ("picklescope-cli dis", ps_time, ps_rss / 1024.0))
    ratio = ps_time / py_time
    print("time ratio (ours / pickletools): %.4f  (target <= 0.02: %s)" % (ratio, "met" if ratio <= 0.02 else "NOT met"))
    print("memory ratio (ours / pickletools): %.3f" % (ps_rss / py_rss))
    if not args.keep:
        os.remove(path)
        os.rmdir(directory)
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
