#!/usr/bin/python3
"""Training parity through ConvNeXt's block: the same network and initial weights in PyTorch and in prune4j.

The network is torchvision's own ConvNeXt with two one-block stages (16 and 32 channels), its stem conv
replaced by a 1-channel 2x2 stride-2 one for Fashion-MNIST (15,642 parameters, torch.manual_seed(3)).

    /usr/bin/python3 scripts/onnx/convnext_parity.py export OUT.onnx     # opset 17, for prune4j
    ./prune4j prune --model OUT.onnx --sparsity 0.01 --finetune-epochs 1 --finetune-lr 0.003
    /usr/bin/python3 scripts/onnx/convnext_parity.py train ORDER         # PyTorch: one epoch, data order ORDER

PyTorch's epoch is prune4j's fine-tuning recipe: Adam at 3e-3, a cosine schedule over the epoch, batch 128,
the inputs scaled as prune4j scales them (onnx_common.INPUT_SCALING). docs/onnx.md has the figures.
"""

import math
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
from torchvision.models.convnext import CNBlockConfig, ConvNeXt  # noqa: E402

import onnx_common as oc  # noqa: E402


def make():
    torch.manual_seed(3)
    m = ConvNeXt([CNBlockConfig(16, 32, 1), CNBlockConfig(32, None, 1)], stochastic_depth_prob=0.0, num_classes=10)
    m.features[0][0] = nn.Conv2d(1, 16, kernel_size=2, stride=2)
    return m


def train(order, batch=128, lr=3e-3):
    tx, ty = oc.load_fmnist("train")
    vx, vy = oc.load_fmnist("test")
    m = make()
    opt = torch.optim.Adam(m.parameters(), lr=lr)
    steps = math.ceil(tx.shape[0] / batch)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    perm = torch.randperm(tx.shape[0], generator=torch.Generator().manual_seed(order))
    m.train()
    t0 = time.time()
    for i in range(steps):
        idx = perm[i * batch:(i + 1) * batch]
        opt.zero_grad()
        nn.functional.cross_entropy(m(tx[idx]), ty[idx]).backward()
        opt.step()
        sched.step()
    acc, loss = oc.evaluate(m, vx, vy)
    print(f"order {order}: test accuracy {acc:.4f}, loss {loss:.4f} ({time.time() - t0:.0f} s)", flush=True)


def main():
    oc.set_threads(2)
    if len(sys.argv) != 3 or sys.argv[1] not in ("export", "train"):
        sys.exit(__doc__)
    if sys.argv[1] == "export":
        m = make().eval()
        oc.export(m, torch.zeros(1, 1, 28, 28), sys.argv[2], 17)
        print(f"{sys.argv[2]}: {sum(p.numel() for p in m.parameters())} parameters")
    else:
        train(int(sys.argv[2]))


if __name__ == "__main__":
    main()
