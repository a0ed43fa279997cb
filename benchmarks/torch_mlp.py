#!/usr/bin/python3
"""PyTorch reference for MlpBench: the same MLP, batch sizes and training step on the CPU.

Measures, for each hidden configuration:
  train_samples_per_s       one training step at batch 128 (forward, cross-entropy, backward, Adam)
  infer_samples_per_s_b256  one forward pass at batch 256 (eval mode, inference_mode)
  latency_ms_b1             mean time of one forward pass of a single example

The timing mirrors the JMH settings of MlpBench: `--warmup` rounds and then `--rounds` measured rounds
of `--seconds` each, every round counting how many operations fit in the time (checked with
time.perf_counter after each operation). The reported value is the mean over the measured rounds, as
JMH reports the mean over its iterations. Training restores the seeded initial weights and a fresh
Adam before every round, as MlpBench does before every iteration (see there for why).

Run it with Debian's PyTorch: /usr/bin/python3 benchmarks/torch_mlp.py [--hidden 300,100 150,50]
Prints one JSON object on stdout.
"""

import argparse
import copy
import json
import os
import platform
import statistics
import sys
import time

INPUTS = 784
CLASSES = 10
TRAIN_BATCH = 128
INFER_BATCH = 256
LEARNING_RATE = 1e-3
SEED = 42


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--hidden", nargs="+", default=["300,100", "150,50"],
                   help="hidden layer sizes, one configuration per argument (default: 300,100 150,50)")
    p.add_argument("--threads", type=int, default=2, help="intra-op threads (default: 2)")
    p.add_argument("--warmup", type=int, default=3, help="warm-up rounds per measurement (default: 3)")
    p.add_argument("--rounds", type=int, default=5, help="measured rounds per measurement (default: 5)")
    p.add_argument("--seconds", type=float, default=2.0, help="length of one round in seconds (default: 2)")
    return p.parse_args()


args = parse_args()

# Thread counts must be in the environment before torch (and the OpenMP / OpenBLAS runtimes it loads)
# starts: Debian's torch does its matrix products in the system OpenBLAS, whose thread pool follows
# OPENBLAS_NUM_THREADS and not torch.set_num_threads.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(args.threads)

import torch  # noqa: E402  (after the environment is set)
import torch.nn.functional as F  # noqa: E402

torch.set_num_threads(args.threads)


def mlp(hidden):
    """784 → hidden… → 10, ReLU after every hidden layer (as Models.mlp)."""
    layers = []
    prev = INPUTS
    for h in hidden:
        layers += [torch.nn.Linear(prev, h), torch.nn.ReLU()]
        prev = h
    layers.append(torch.nn.Linear(prev, CLASSES))
    return torch.nn.Sequential(*layers)


def measure(op, warmup, rounds, seconds, before_round=None):
    """Operations per second of `op` in each measured round (warm-up rounds discarded)."""
    rates = []
    for r in range(warmup + rounds):
        if before_round is not None:
            before_round()  # outside the timed region
        n = 0
        t0 = time.perf_counter()
        end = t0 + seconds
        while True:
            op()
            n += 1
            t = time.perf_counter()
            if t >= end:
                break
        if r >= warmup:
            rates.append(n / (t - t0))
    return rates


def bench(hidden):
    torch.manual_seed(SEED)
    model = mlp(hidden)
    initial = copy.deepcopy(model.state_dict())
    # Fixed, seeded inputs created once, as in MlpBench: no data loading in the timed loop.
    x_train = torch.rand(TRAIN_BATCH, INPUTS)
    y_train = torch.randint(0, CLASSES, (TRAIN_BATCH,))
    x_infer = torch.rand(INFER_BATCH, INPUTS)
    x_single = torch.rand(1, INPUTS)

    state = {}

    def reset_training():
        model.load_state_dict(initial)
        state["opt"] = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
        model.train()

    def train_step():
        opt = state["opt"]
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x_train), y_train)  # fused log-softmax + NLL, mean over the batch
        loss.backward()
        opt.step()

    sink = []

    def infer(x):
        def op():
            sink.append(model(x))
            sink.clear()  # keep the result alive until here, as JMH's Blackhole does
        return op

    train_rates = measure(train_step, args.warmup, args.rounds, args.seconds, reset_training)
    model.eval()
    with torch.inference_mode():
        infer_rates = measure(infer(x_infer), args.warmup, args.rounds, args.seconds)
        single_rates = measure(infer(x_single), args.warmup, args.rounds, args.seconds)

    train = [r * TRAIN_BATCH for r in train_rates]
    infer256 = [r * INFER_BATCH for r in infer_rates]
    latency = [1000.0 / r for r in single_rates]
    return {
        "hidden": ",".join(str(h) for h in hidden),
        "train_samples_per_s": statistics.fmean(train),
        "infer_samples_per_s_b256": statistics.fmean(infer256),
        "latency_ms_b1": statistics.fmean(latency),
        "rounds": {
            "train_samples_per_s": train,
            "infer_samples_per_s_b256": infer256,
            "latency_ms_b1": latency,
        },
    }


def main():
    results = []
    for spec in args.hidden:
        hidden = [int(s) for s in spec.replace("x", ",").split(",") if s.strip()]
        print(f"torch_mlp: 784-{'-'.join(map(str, hidden))}-10 ...", file=sys.stderr, flush=True)
        results.append(bench(hidden))
    print(json.dumps({
        "torch_version": torch.__version__,
        "python": platform.python_version(),
        "threads": torch.get_num_threads(),
        "train_batch": TRAIN_BATCH,
        "infer_batch": INFER_BATCH,
        "warmup_rounds": args.warmup,
        "rounds": args.rounds,
        "round_seconds": args.seconds,
        "results": results,
    }, indent=2))


if __name__ == "__main__":
    main()
