#!/usr/bin/python3
"""Format benchmark (issue 12): sharded checkpoints and one big safetensors file, picklescope
against Python baselines on the same files in the same run (not part of ctest).

Generates in a temporary folder (deleted afterwards; nothing goes to the repository):
  sharded/    N shards (default 8) x S GiB (default 2) of fp16 tensors written by torch.save,
              plus a Hugging Face pytorch_model.bin.index.json (weight_map)
  big.safetensors  one file of G GiB (default 4) of fp16 tensors (the tests' writer layout)
The tensors are random fp16 (one random block, repeated: generating 16 GiB of distinct random
numbers would only measure the generator). Free disk is checked first with `df`; when the
whole set does not fit with a 10 GiB margin, the shard size is scaled down and the report says so.

Reports, best of --runs runs each (wall time and peak RSS through /usr/bin/time):
  ours   picklescope-cli info INDEX      (open every shard + tensor table + scan)
  ours   picklescope-cli info big.safetensors
  torch  torch.load of every shard, one after the other (torch 1.13: no mmap)
  numpy  numpy.fromfile of the safetensors data (what a non-lazy reader pays)
  ours   picklescope-cli info arrays.npz  (an .npz of --npz-gib GiB of float32 arrays, stored)
  numpy  numpy.load of the same .npz, every member read
With --bench-load PATH (build/dev/tests/picklescope-bench-load), the window's load and first
tree paint on the sharded index too, under xvfb-run.

Usage: tests/bench/bench_formats.py [--cli PATH] [--shards N] [--shard-gib S] [--st-gib G]
                                   [--npz-gib Z] [--runs N] [--bench-load PATH]
"""
import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time


def measure(cmd, runs):
    best_time, best_rss = None, None
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(["/usr/bin/time", "-f", "%e %M"] + cmd, capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        if proc.returncode != 0:
            raise SystemExit("command failed: %s\n%s" % (" ".join(cmd), proc.stderr[-2000:]))
        rss_kb = int(proc.stderr.strip().splitlines()[-1].split()[1])
        best_time = elapsed if best_time is None else min(best_time, elapsed)
        best_rss = rss_kb / 1024 if best_rss is None else min(best_rss, rss_kb / 1024)
    return best_time, best_rss


def free_gib(folder):
    out = subprocess.run(["df", "--output=avail", "-B1", folder], capture_output=True, text=True).stdout
    return int(out.strip().splitlines()[-1]) / 2 ** 30


def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--cli", default=os.path.join(here, "..", "..", "build", "release", "app", "picklescope-cli"))
    ap.add_argument("--shards", type=int, default=8)
    ap.add_argument("--shard-gib", type=float, default=2.0)
    ap.add_argument("--st-gib", type=float, default=4.0)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--tmp", default=None)
    ap.add_argument("--npz-gib", type=float, default=1.0)
    ap.add_argument("--bench-load", default=os.environ.get("PICKLESCOPE_BENCH_LOAD"))
    args = ap.parse_args()
    import torch

    folder = tempfile.mkdtemp(prefix="ps-bench-formats-", dir=args.tmp)
    try:
        avail = free_gib(folder)
        need = args.shards * args.shard_gib + args.st_gib + args.npz_gib
        if need + 10 > avail:
            scale = max((avail - 10) / need, 0.01)
            print("only %.1f GiB free: scaling the inputs down by %.2f" % (avail, scale))
            args.shard_gib *= scale
            args.st_gib *= scale
            args.npz_gib *= scale
        tensor_bytes = 64 << 20  # 64 MiB tensors: 32 per 2 GiB shard
        numel = tensor_bytes // 2
        torch.manual_seed(0)
        block = torch.randn(numel).half()

#sharded torch.save checkpoint + index
        shard_dir = os.path.join(folder, "sharded")
        os.makedirs(shard_dir)
        per_shard = max(1, int(args.shard_gib * 2 ** 30) // tensor_bytes)
        weight_map = {}
        t0 = time.perf_counter()
        for s in range(args.shards):
            name = "pytorch_model-%05d-of-%05d.bin" % (s + 1, args.shards)
            sd = {"layers.%d.w%d" % (s, i): block.clone() for i in range(per_shard)}
            torch.save(sd, os.path.join(shard_dir, name))
            del sd
            weight_map.update({"layers.%d.w%d" % (s, i): name for i in range(per_shard)})
        total = args.shards * per_shard * tensor_bytes
        with open(os.path.join(shard_dir, "pytorch_model.bin.index.json"), "w") as f:
            json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2, sort_keys=True)
        print("sharded: %d shards x %d tensors of 64 MiB fp16 = %.2f GiB (written in %.0f s)"
              % (args.shards, per_shard, total / 2 ** 30, time.perf_counter() - t0))

#one safetensors file
        st_path = os.path.join(folder, "big.safetensors")
        count = max(1, int(args.st_gib * 2 ** 30) // tensor_bytes)
        header = {
    "__metadata__":
    {
        "format" : "pt"
    }}
        for i in range(count):
            header["w%04d" % i] = {"dtype": "F16", "shape": [numel], "data_offsets": [i * tensor_bytes, (i + 1) * tensor_bytes]}
        text = json.dumps(header, separators=(",", ":")).encode()
        text += b" " * (-len(text) % 8)
        raw = block.numpy().tobytes()
        with open(st_path, "wb") as f:
            f.write(struct.pack("<Q", len(text)) + text)
            for _ in range(count):
                f.write(raw)
        print("safetensors: %d tensors of 64 MiB fp16 = %.2f GiB" % (count, count * tensor_bytes / 2 ** 30))

#an .npz of float32 arrays (stored members, as np.savez writes them)
        import numpy
        npz_path = os.path.join(folder, "arrays.npz")
        npz_count = max(1, int(args.npz_gib * 2 ** 30) // tensor_bytes)
        arr = block.float().numpy()[: numel // 2]  # 64 MiB of float32
        numpy.savez(npz_path, **{"a%04d" % i: arr for i in range(npz_count)})
        print("npz: %d arrays of 64 MiB float32 = %.2f GiB" % (npz_count, npz_count * tensor_bytes / 2 ** 30))

        index = os.path.join(shard_dir, "pytorch_model.bin.index.json")
        ours_t, ours_rss = measure([args.cli, "info", index], args.runs)
        st_t, st_rss = measure([args.cli, "info", st_path], args.runs)
        load_code = ("import torch,glob,sys\n"
                     "for p in sorted(glob.glob(sys.argv[1] + '/*.bin')):\n"
                     "    sd = torch.load(p, map_location='cpu'); del sd\n")
        torch_t, torch_rss = measure(["/usr/bin/python3", "-c", load_code, shard_dir], 1)
        np_code = ("import numpy,sys,struct\n"
                   "f = open(sys.argv[1], 'rb'); n = struct.unpack('<Q', f.read(8))[0]; f.seek(8 + n)\n"
                   "a = numpy.fromfile(f, dtype=numpy.float16)\n")
        np_t, np_rss = measure(["/usr/bin/python3", "-c", np_code, st_path], 1)
        import_t, _ = measure(["/usr/bin/python3", "-c", "import torch"], 1)
        npz_t, npz_rss = measure([args.cli, "info", npz_path], args.runs)
        npz_code = ("import numpy,sys\n"
                    "z = numpy.load(sys.argv[1]); d = {k: z[k] for k in z.files}\n")
        npz_np_t, npz_np_rss = measure(["/usr/bin/python3", "-c", npz_code, npz_path], 1)
        window = None
        if args.bench_load:
            runs = []
            for _ in range(args.runs):
                proc = subprocess.run(["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24", args.bench_load, index],
                                      capture_output=True, text=True)
                runs.append(proc.stdout.strip() + ("" if proc.returncode == 0 else
                                                   "\n(exit %d) %s" % (proc.returncode, proc.stderr[-500:])))
            window = runs

        print()
        print("%-44s %9s %11s" % ("", "time", "peak RSS"))
        print("%-44s %8.3fs %8.1f MiB" % ("picklescope-cli info INDEX (sharded)", ours_t, ours_rss))
        print("%-44s %8.3fs %8.1f MiB" % ("torch.load of every shard (no mmap)", torch_t, torch_rss))
        print("%-44s %8.3fs" % ("  of which import torch", import_t))
        print("%-44s %8.3fs %8.1f MiB" % ("picklescope-cli info big.safetensors", st_t, st_rss))
        print("%-44s %8.3fs %8.1f MiB" % ("numpy.fromfile of its data", np_t, np_rss))
        print("%-44s %8.3fs %8.1f MiB" % ("picklescope-cli info arrays.npz", npz_t, npz_rss))
        print("%-44s %8.3fs %8.1f MiB" % ("numpy.load of every member", npz_np_t, npz_np_rss))
        print()
        print("sharded: %.0fx faster than torch.load, %.0fx less memory; targets <= 0.2 s, <= 150 MiB: %s"
              % (torch_t / ours_t, torch_rss / ours_rss, "met" if ours_t <= 0.2 and ours_rss <= 150 else "NOT met"))
        print("safetensors: %.0fx faster than numpy.fromfile; target <= 50 ms: %s"
              % (np_t / st_t, "met" if st_t <= 0.05 else "NOT met"))
        print("npz: %.0fx faster than numpy.load, %.0fx less memory" % (npz_np_t / npz_t, npz_np_rss / npz_rss))
        if window is not None:
            print()
            print("window on the sharded index (picklescope-bench-load; target: first tree paint <= 0.5 s):")
            for i, text in enumerate(window):
                print("run %d:\n%s" % (i + 1, text))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
