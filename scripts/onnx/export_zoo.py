#!/usr/bin/python3
"""Exports a zoo of torchvision classifiers (random weights) as ONNX, to check which prune4j reads and prunes.

For each model, OUTDIR/<name>.op<opset>.onnx for opsets 13 and 17, BatchNorm kept
(TrainingMode.PRESERVE), a symbolic batch, input `input` [batch, 3, S, S] and output `output`; S is
64 (96 for Inception v3, which needs 75 at least; 224 for AlexNet and VGG, whose classifiers expect
7x7 or 6x6 maps). ResNet-18 is also built with GroupNorm(32, C) and with InstanceNorm2d(C) (no affine
parameters) in place of its BatchNorms. Weights are torchvision's initialisation after torch.manual_seed(0): nothing is
downloaded, and accuracy means nothing here;
`scripts/onnx/zoo.sh` runs prune4j's import, a 50% magnitude prune and `--verify` on each file.

The files are not committed (up to 500 MB in all). Run:
    /usr/bin/python3 scripts/onnx/export_zoo.py OUTDIR [--only NAME,...] [--threads 2]
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402
import torchvision  # noqa: E402

import onnx_common as oc  # noqa: E402

M = torchvision.models
ZOO = {
    "resnet18": (M.resnet18, 64), "resnet50": (M.resnet50, 64), "resnext50_32x4d": (M.resnext50_32x4d, 64),
    "wide_resnet50_2": (M.wide_resnet50_2, 64), "mobilenet_v2": (M.mobilenet_v2, 64),
    "mobilenet_v3_small": (M.mobilenet_v3_small, 64), "mnasnet0_5": (M.mnasnet0_5, 64),
    "efficientnet_b0": (M.efficientnet_b0, 64), "regnet_x_400mf": (M.regnet_x_400mf, 64),
    "regnet_y_400mf": (M.regnet_y_400mf, 64), "densenet121": (M.densenet121, 64),
    "squeezenet1_1": (M.squeezenet1_1, 64), "shufflenet_v2_x0_5": (M.shufflenet_v2_x0_5, 64),
    "googlenet": (lambda **k: M.googlenet(aux_logits=False, init_weights=True, **k), 64),
    "inception_v3": (lambda **k: M.inception_v3(aux_logits=False, init_weights=True, **k), 96),
    "resnet18_groupnorm": (lambda **k: M.resnet18(norm_layer=lambda c: torch.nn.GroupNorm(32, c), **k), 64),
    "resnet18_instancenorm": (lambda **k: M.resnet18(norm_layer=torch.nn.InstanceNorm2d, **k), 64),
    "alexnet": (M.alexnet, 224), "vgg11_bn": (M.vgg11_bn, 224), "convnext_tiny": (M.convnext_tiny, 64),
}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("outdir")
    p.add_argument("--only", default="", help="comma-separated model names (default: all)")
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    oc.set_threads(args.threads)
    os.makedirs(args.outdir, exist_ok=True)
    only = set(filter(None, args.only.split(",")))
    for name, (make, size) in ZOO.items():
        if only and name not in only:
            continue
        torch.manual_seed(0)
        model = make(weights=None).eval()
        x = torch.randn(1, 3, size, size, generator=torch.Generator().manual_seed(1))
        for opset in (13, 17):
            path = os.path.join(args.outdir, f"{name}.op{opset}.onnx")
            oc.export(model, x, path, opset)
            print(f"{path}: {os.path.getsize(path)} bytes", flush=True)


if __name__ == "__main__":
    main()
