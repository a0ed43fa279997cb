#!/usr/bin/env python3
"""Times torch.topk and torch.kthvalue on the GPU for the sizes and k that GpuBench's selection
cases use, so the two can be put side by side (GpuBench reads the TSV this writes).

    python3 benchmarks/gpu/torch_topk.py --out OUT/torch_topk.tsv [--reps 20] [--warmup 3] [--quick]

Method, as GpuBench: uniform [0, 1) float32 input (torch.rand), CUDA events around the call only,
the L2 cache scrubbed by writing a buffer at least twice its size before every timed run, median
of --reps runs after --warmup runs. k = n * pct // 100 for pct 1, 50, 99 (the same integers as
GpuBench). Ops:
  topk           torch.topk(x, k)                 (largest, sorted: PyTorch's default)
  topk_unsorted  torch.topk(x, k, sorted=False)   (closest to a selection mask)
  kthvalue       torch.kthvalue(x, n - k + 1)     (k-th largest = (n-k+1)-th smallest)
  copy           x.clone() of the same n          (device-to-device copy baseline)
Output TSV columns: op, n, k, median_ms, min_ms, GB_per_s (4n bytes read, or 8n for the copy).
"""
import argparse
import statistics
import sys

import torch


def timed(fn, reps, warmup, scrub):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    start = torch.cuda.Event(enable_timing=True)
    end = torch.cuda.Event(enable_timing=True)
    times = []
    for i in range(reps):
        scrub.fill_(i & 0xFF)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    return statistics.median(times), min(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="torch_topk.tsv")
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    if not torch.cuda.is_available():
        print("torch_topk: no CUDA device visible to PyTorch", file=sys.stderr)
        return 2
    dev = torch.device("cuda")
    props = torch.cuda.get_device_properties(dev)
    l2 = getattr(props, "L2_cache_size", 50 << 20)
    scrub = torch.empty(max(2 * l2, 256 << 20), dtype=torch.uint8, device=dev)
    print(f"torch {torch.__version__} on {props.name}; median of {args.reps} after {args.warmup} warm-up runs", flush=True)
    sizes = [1_000_000] if args.quick else [100_000_000, 10_000_000, 1_000_000]
    rows = ["op\tn\tk\tmedian_ms\tmin_ms\tGB_per_s"]
    gen = torch.Generator(device=dev)
    gen.manual_seed(3)
    for n in sizes:
        x = torch.rand(n, device=dev, dtype=torch.float32, generator=gen)
        med, mn = timed(lambda: x.clone(), args.reps, args.warmup, scrub)
        rows.append(f"copy\t{n}\t0\t{med:.5f}\t{mn:.5f}\t{8 * n / (med * 1e6):.2f}")
        print(f"copy           n={n:>11} {med:10.4f} ms", flush=True)
        for pct in (1, 50, 99):
            k = n * pct // 100
            cases = [
                ("topk", lambda: torch.topk(x, k)),
                ("topk_unsorted", lambda: torch.topk(x, k, sorted=False)),
                ("kthvalue", lambda: torch.kthvalue(x, n - k + 1)),
            ]
            for op, fn in cases:
                try:
                    # a slow op (single-block kthvalue on 1e8 elements) gets fewer runs
                    t0 = torch.cuda.Event(enable_timing=True)
                    t1 = torch.cuda.Event(enable_timing=True)
                    t0.record()
                    fn()
                    t1.record()
                    t1.synchronize()
                    probe = t0.elapsed_time(t1)
                    reps = args.reps if probe < 50 else max(3, min(args.reps, int(2000 / max(probe, 1))))
                    med, mn = timed(fn, reps, 1 if probe >= 50 else args.warmup, scrub)
                except RuntimeError as e:   # out of memory for the largest sorted outputs, say
                    print(f"{op:14} n={n:>11} k={k:>10} failed: {e}", flush=True)
                    torch.cuda.empty_cache()
                    continue
                rows.append(f"{op}\t{n}\t{k}\t{med:.5f}\t{mn:.5f}\t{4 * n / (med * 1e6):.2f}")
                print(f"{op:14} n={n:>11} k={k:>10} {med:10.4f} ms (min {mn:.4f}, {reps} runs)", flush=True)
        del x
        torch.cuda.empty_cache()
    with open(args.out, "w") as f:
        f.write("\n".join(rows) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
