#!/usr/bin/python3
"""Exports torchvision's ResNet-18 and MobileNetV2 (random weights) as ONNX, with PyTorch's outputs.

Writes OUTDIR/resnet18.onnx and OUTDIR/mobilenet_v2.onnx: the standard torchvision layouts
(`resnet18(weights=None)`, `mobilenet_v2(weights=None)`, 1000 classes), weights from torchvision's own
initialisation after torch.manual_seed(0) (nothing is downloaded), eval mode, opset 17,
TrainingMode.PRESERVE (BatchNormalization nodes kept), input `input` [batch, 3, 224, 224] and output
`output` [batch, 1000] with a symbolic batch dimension. Next to each, `<file>.json` holds a batch of 2
inputs from a seeded standard normal and PyTorch's output for them (exact float32 values; see
onnx_common.write_reference), plus the op types and parameter count.

torchvision initialises every BatchNorm to weight 1, bias 0, running mean 0, running variance 1, so
torch's exporter de-duplicates those equal tensors into a few initializers read through Identity
nodes. --random-bn gives every BatchNorm random statistics instead (as make_fixtures.py does), which
makes BatchNorm matter in the output and leaves fewer equal tensors.

The files are tens of MB and are not committed. Run:
    /usr/bin/python3 scripts/onnx/export_torchvision.py OUTDIR [--random-bn] [--threads 2]
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torchvision  # noqa: E402

import onnx_common as oc  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("outdir")
    p.add_argument("--random-bn", action="store_true", help="random BatchNorm parameters and statistics")
    p.add_argument("--threads", type=int, default=2, help="PyTorch threads (default: 2)")
    args = p.parse_args()
    oc.set_threads(args.threads)
    os.makedirs(args.outdir, exist_ok=True)
    makers = {"resnet18": torchvision.models.resnet18, "mobilenet_v2": torchvision.models.mobilenet_v2}
    for i, (name, make) in enumerate(makers.items()):
        torch.manual_seed(0)
        model = make(weights=None)
        if args.random_bn:
            oc.randomize_bn(model, 1000 + i)
        model.eval()
        x = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(10 + i))
        with torch.no_grad():
            y = model(x)
        path = os.path.join(args.outdir, name + ".onnx")
        proto = oc.export(model, x, path, 17)
        oc.check_symbolic_batch(proto)
        assert "BatchNormalization" in oc.op_types(proto)
        got = oc.run_onnx(proto, x)
        diff = (got - y).abs().max().item()
        assert torch.allclose(got, y, rtol=1e-4, atol=1e-4), f"{path}: off by {diff}"
        ops = oc.op_types(proto)
        identities = sum(n.op_type == "Identity" for n in proto.graph.node)
        params = sum(t.numel() for t in model.parameters())
        oc.write_reference(path + ".json", x, y, 17,
                           f"torchvision {name}(weights=None) after torch.manual_seed(0)"
                           + (", random BatchNorm statistics" if args.random_bn else "")
                           + "; eval mode, BatchNorm kept (PRESERVE); input: seeded standard normal; output: logits",
                           torchvision=torchvision.__version__, op_types=ops, parameters=params,
                           random_bn=args.random_bn, nodes=len(proto.graph.node), identity_nodes=identities)
        print(f"{path}: {os.path.getsize(path)} bytes, {len(proto.graph.node)} nodes ({identities} Identity), "
              f"{params} parameters, max |onnx - torch| {diff:.2e}, ops {ops}", flush=True)


if __name__ == "__main__":
    main()
