#!/usr/bin/python3
"""PyTorch reference for ResNetBench: the same ResNet and training step on the CPU.

The architecture is prune4j's `--arch resnet` (Models.resnet): a 3x3 stem convolution with BatchNorm
and ReLU, three stages of basic residual blocks (width, 2*width, 4*width channels; the first block of
stages 2 and 3 halves the resolution and has a 1x1 projection shortcut with BatchNorm), global
average pooling and a Dense classifier; convolutions before a BatchNorm have no bias. Input 1x28x28,
10 classes, as Fashion-MNIST.

Measures train_samples_per_s: one training step at batch 128 (forward in training mode,
cross-entropy, backward, Adam at 1e-3), the way ResNetBench times it: `--warmup` rounds, then
`--rounds` measured rounds of `--seconds` each, every round counting the steps that fit in the time;
the value is the mean over the measured rounds. Inputs are seeded random images (speed does not
depend on the values).

Run it with Debian's PyTorch: /usr/bin/python3 benchmarks/torch_resnet.py [--width 16 --depth 1]
Prints one JSON object on stdout.
"""

import argparse
import json
import os
import sys
import platform
import statistics
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--width", type=int, default=16, help="channels of the stem (default: 16)")
    p.add_argument("--depth", type=int, default=1, help="residual blocks per stage (default: 1)")
    p.add_argument("--batch", type=int, default=128, help="training batch (default: 128)")
    p.add_argument("--threads", type=int, default=2, help="intra-op threads (default: 2)")
    p.add_argument("--warmup", type=int, default=2, help="warm-up rounds (default: 2)")
    p.add_argument("--rounds", type=int, default=5, help="measured rounds (default: 5)")
    p.add_argument("--seconds", type=float, default=3.0, help="length of one round in seconds (default: 3)")
    p.add_argument("--channels-last", action="store_true", help="NHWC memory format (oneDNN's preferred layout)")
    return p.parse_args()


args = parse_args()
# thread counts must be in the environment before torch and its OpenMP / OpenBLAS runtimes start
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(args.threads)

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

torch.set_num_threads(args.threads)
torch.manual_seed(42)


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_resnet_model import ResNet  # noqa: E402


def main():
    net = ResNet(args.width, args.depth)
    fmt = torch.channels_last if args.channels_last else torch.contiguous_format
    net = net.to(memory_format=fmt).train()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(7)
    x = torch.rand(args.batch, 1, 28, 28, generator=g).to(memory_format=fmt)
    y = torch.randint(0, 10, (args.batch,), generator=g)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(net(x), y)
        loss.backward()
        opt.step()

    rates = []
    for r in range(args.warmup + args.rounds):
        n = 0
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < args.seconds:
            step()
            n += 1
        rate = n * args.batch / (time.perf_counter() - t0)
        if r >= args.warmup:
            rates.append(rate)
    print(json.dumps({
        "torch": torch.__version__, "threads": args.threads, "width": args.width, "depth": args.depth, "batch": args.batch,
        "channels_last": args.channels_last, "mkldnn": torch.backends.mkldnn.is_available(), "machine": platform.machine(),
        "train_samples_per_s": statistics.mean(rates), "rounds": rates,
        "params": sum(p.numel() for p in net.parameters()),
    }))


if __name__ == "__main__":
    main()
