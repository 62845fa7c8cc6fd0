#!/usr/bin/python3
"""Batch scan benchmark: `picklescope-cli scan` over many small pickles, and over one 1 GiB checkpoint.

Generates its inputs in a temporary folder (nothing is written to the repository, all is deleted):
  many/     20,000 small pickles made by CPython's pickle (protocols 0-5: dicts, lists, floats,
            strings, sets, datetimes; one in 20 names os.system through __reduce__, never run)
  big.pt    a ~1 GiB state dict (64 x 2048x2048 float32 + biases, torch.save zip; --no-big skips)
and reports, best of N runs each, the wall time of
  scan -r DIR --format json        (files per second; default --jobs: the core count)
  scan -r DIR --format sarif
  scan -r DIR --jobs 1
  CPython: pickletools.genops over every file (the opcode walk a Python scanner such as
           picklescan does, without classifying anything), same files, same run
  scan big.pt                      (only its data.pkl is read; the tensors are never touched)
and checks that every os.system file is reported dangerous and no other one.

Usage: tests/bench/bench_scan.py [--cli PATH] [--runs N] [--files N] [--no-big] [--keep DIR]
"""
import argparse
import atexit
import datetime
import json
import os
import pickle
import resource
import shutil
import subprocess
import sys
import tempfile
import time


class Payload:
    def __reduce__(self):
        return (os.system, ("echo never-run",))


def generate_many(folder, count):
    os.makedirs(folder, exist_ok=True)
    dangerous = set()
    per_dir = 1000
    for i in range(count):
        sub = os.path.join(folder, "part%02d" % (i // per_dir))
        if i % per_dir == 0:
            os.makedirs(sub, exist_ok=True)
        obj = {
            "id": i,
            "name": "record-%d" % i,
            "values": [i * 0.5, -i, i % 7],
            "tags": {"a", "b", str(i % 13)},
            "when": datetime.date(2020, 1 + i % 12, 1 + i % 28),
        }
        if i % 20 == 7:
            obj["hook"] = Payload()
        path = os.path.join(sub, "r%05d.pkl" % i)
        with open(path, "wb") as f:
            f.write(pickle.dumps(obj, protocol=i % 6))
        if i % 20 == 7:
            dangerous.add(path)
    return dangerous


def generate_big(path):
    import torch

    torch.manual_seed(0)
    sd = {}
    for i in range(64):
        sd["layer%d.weight" % i] = torch.randn(2048, 2048)
        sd["layer%d.bias" % i] = torch.randn(2048)
    torch.save(sd, path)


CPU = {}  # command -> best CPU time (user + sys) of its runs


def best(cmd, runs, ok_codes=(0, 3)):
    """Best wall time of `runs` runs (and, in CPU[cmd], the best user+sys CPU time: on a shared
    machine the wall time includes waiting for a core, the CPU time does not)."""
    times, cpus, out = [], [], b""
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        times.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if proc.returncode not in ok_codes:
            raise SystemExit("command failed (%d): %s\n%s" % (proc.returncode, " ".join(cmd), proc.stderr.decode()))
        out = proc.stdout
    CPU[" ".join(cmd)] = min(cpus)
    return min(times), out


def cpu_of(cmd):
    return CPU[" ".join(cmd)]


def genops_all(folder):
    import pickletools

    n = 0
    for root, _, files in os.walk(folder):
        for name in files:
            with open(os.path.join(root, name), "rb") as f:
                for _ in pickletools.genops(f.read()):
                    pass
            n += 1
    return n


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", default=os.path.join(here, "..", "..", "build", "release", "app", "picklescope-cli"))
    ap.add_argument("--build", default=None, help="(ignored; bench.sh passes it to every benchmark)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--files", type=int, default=20000)
    ap.add_argument("--no-big", action="store_true")
    ap.add_argument("--keep", default=None, help="generate into (and keep) this folder")
    args = ap.parse_args()
    cli = os.path.abspath(args.cli)
    if not os.path.exists(cli):
        raise SystemExit("no CLI at %s (scripts/build.sh release)" % cli)

    folder = args.keep or tempfile.mkdtemp(prefix="ps-bench-scan-")
    if not args.keep:
        atexit.register(shutil.rmtree, folder, True)
    many = os.path.join(folder, "many")
    start = time.perf_counter()
    if os.path.isdir(many):
        shutil.rmtree(many)
    dangerous = generate_many(many, args.files)
    print("generated %d pickles in %.1f s (%d name os.system)" % (args.files, time.perf_counter() - start, len(dangerous)))
    print("cores: %d" % os.cpu_count())

    t, out = best([cli, "scan", "-r", many, "--format", "json"], args.runs)
    report = json.loads(out)
    flagged = {f["path"] for f in report["files"] if f["verdict"] == "dangerous"}
    summary = report["summary"]
    assert summary["scanned"] == args.files, summary
    assert flagged == dangerous, "dangerous files differ: %d flagged, %d expected" % (len(flagged), len(dangerous))
    print("scan -r --format json:   %.3f s  %8.0f files/s  (summary %s)" % (t, args.files / t, summary))
    c = cpu_of([cli, "scan", "-r", many, "--format", "json"])
    print("  CPU time %.3f s (user+sys, all threads): %.0f files per CPU-second, %.0f files/s on 2 idle cores"
          % (c, args.files / c, 2 * args.files / c))
    print("  load average while measuring: %.1f" % os.getloadavg()[0])
    t, out = best([cli, "scan", "-r", many, "--format", "sarif"], args.runs)
    results = json.loads(out)["runs"][0]["results"]
    print("scan -r --format sarif:  %.3f s  %8.0f files/s  (%d results)" % (t, args.files / t, len(results)))
    t, _ = best([cli, "scan", "-r", many], args.runs)
    print("scan -r (text):          %.3f s  %8.0f files/s" % (t, args.files / t))
    t, _ = best([cli, "scan", "-r", many, "--jobs", "1", "--format", "json"], args.runs)
    print("scan -r --jobs 1:        %.3f s  %8.0f files/s" % (t, args.files / t))
    start = time.perf_counter()
    n = genops_all(many)
    t = time.perf_counter() - start
    print("CPython pickletools.genops over every file (1 core): %.3f s  %8.0f files/s" % (t, n / t))

    if not args.no_big:
        big = os.path.join(folder, "big.pt")
        if not os.path.exists(big):
            start = time.perf_counter()
            generate_big(big)
            print("generated big.pt (%.2f GiB) in %.1f s" % (os.path.getsize(big) / 2**30, time.perf_counter() - start))
        subprocess.run([cli, "scan", big], stdout=subprocess.DEVNULL)  # warm the page cache
        t, out = best([cli, "scan", big], max(args.runs, 5), ok_codes=(0,))
        c = cpu_of([cli, "scan", big])
        print("scan big.pt (%.2f GiB): %.1f ms wall, %.1f ms CPU (whole process, best of %d)"
              % (os.path.getsize(big) / 2**30, t * 1e3, c * 1e3, max(args.runs, 5)))
        t, _ = best([cli, "--version"], max(args.runs, 5))
        c = cpu_of([cli, "--version"])
        print("  process floor (picklescope-cli --version): %.1f ms wall, %.1f ms CPU" % (t * 1e3, c * 1e3))


if __name__ == "__main__":
    sys.exit(main())
