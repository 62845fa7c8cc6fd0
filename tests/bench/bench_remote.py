#!/usr/bin/python3
"""Remote files: `picklescope-cli info URL` of a generated 1 GiB torch checkpoint served over
HTTP on 127.0.0.1 (tests/bench/range_server.py, which honours Range). Measures wall time (best
of N runs, process start included) and the bytes fetched the CLI reports; checks every tensor is
listed. The checkpoint is deleted afterwards.

usage: /usr/bin/python3 tests/bench/bench_remote.py [--cli CLI] [--tensors N] [--runs N] [--keep DIR]
(--keep DIR: generate into DIR and leave the server running, for screenshots; it prints its pid;
with --runs 0 nothing is measured: tests/ui/gui_journey_remote.sh serves the file so)
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", default=os.path.join(HERE, "../../build/release/app/picklescope-cli"))
    ap.add_argument("--tensors", type=int, default=256)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--keep", help="serve from this folder and keep the file and server (screenshots)")
    a, _ = ap.parse_known_args()  # scripts/bench.sh passes its arguments to every bench

    folder = a.keep or tempfile.mkdtemp(prefix="ps-bench-remote-")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "model_1g.pt")
    per = (1 << 30) // a.tensors // 4  # float32 elements per tensor: 1 GiB in all
    if not os.path.exists(path):
        state = {f"layers.{i}.weight": torch.full((per // 1024, 1024), float(i)) for i in range(a.tensors)}
        torch.save(state, path)
        del state
    size = os.path.getsize(path)
    port_file = os.path.join(folder, ".port")
    server = subprocess.Popen([sys.executable, os.path.join(HERE, "range_server.py"), folder,
                               "--port-file", port_file], stdout=subprocess.DEVNULL)
    for _ in range(100):
        if os.path.exists(port_file) and open(port_file).read():
            break
        time.sleep(0.05)
    port = int(open(port_file).read())
    url = f"http://127.0.0.1:{port}/model_1g.pt"
    if a.keep and a.runs == 0:
        print(f"serving {url} (server pid {server.pid}); stop it with kill {server.pid}")
        return 0
    try:
        best, fetched, listed = None, None, None
        for _ in range(a.runs):
            t0 = time.perf_counter()
            out = subprocess.run([a.cli, "info", url], capture_output=True, text=True, check=True).stdout
            dt = time.perf_counter() - t0
            best = dt if best is None else min(best, dt)
            m = re.search(r"fetched ([\d,]+) of ([\d,]+) bytes in ([\d,]+) fetches", out)
            fetched = int(m.group(1).replace(",", ""))
            fetches = int(m.group(3).replace(",", ""))
            listed = len(re.findall(r"^  \$\['layers\.\d+\.weight'\]", out, re.M))
        print(f"file {size:,} bytes, {a.tensors} tensors; info URL: best of {a.runs} {best * 1000:.0f} ms, "
              f"fetched {fetched:,} bytes ({fetched / 1024:.0f} KiB) in {fetches} fetches, {listed} tensors listed")
        ok = listed == a.tensors and fetched <= 2 * 1024 * 1024 and best <= 0.5
        print("PASS" if ok else "FAIL", "(all tensors, <= 2 MiB, <= 0.5 s)")
        if a.keep:
            print(f"serving {url} (server pid {server.pid}); stop it with kill {server.pid}")
            return 0 if ok else 1
    finally:
        if not a.keep:
            server.terminate()
            server.wait()
            shutil.rmtree(folder)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
