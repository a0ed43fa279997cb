#!/usr/bin/python3
"""Exports torchvision classifiers (random weights) in the forms other than export_zoo.py's that users
produce: opsets 11, 12, 14, 15 and 16; opset 17 without constant folding (`nofold`: weights transposed
and viewed in the graph); opset 17 with BatchNorm folded into the convolutions (`eval`,
TrainingMode.EVAL); opset 13 with a fixed batch (`static`). Writes OUTDIR/<model>.<variant>.onnx;
`scripts/onnx/zoo.sh OUTDIR` then prunes and verifies each (docs/onnx.md has the figures).

    /usr/bin/python3 scripts/onnx/export_variants.py OUTDIR [MODEL,...] [VARIANT,...]
"""
import os
import sys

import torch
import torchvision

M = torchvision.models
MODELS = {
    "resnet18": (M.resnet18, 64), "mobilenet_v2": (M.mobilenet_v2, 64), "mobilenet_v3_small": (M.mobilenet_v3_small, 64),
    "efficientnet_b0": (M.efficientnet_b0, 64), "shufflenet_v2_x0_5": (M.shufflenet_v2_x0_5, 64),
    "inception_v3": (lambda **k: M.inception_v3(aux_logits=False, init_weights=True, **k), 96),
    "googlenet": (lambda **k: M.googlenet(aux_logits=False, init_weights=True, **k), 64),
    "densenet121": (M.densenet121, 64), "convnext_tiny": (M.convnext_tiny, 64), "regnet_y_400mf": (M.regnet_y_400mf, 64),
    "squeezenet1_1": (M.squeezenet1_1, 64), "mnasnet0_5": (M.mnasnet0_5, 64),
}
VARIANTS = {
    "op11": dict(opset_version=11), "op12": dict(opset_version=12), "op14": dict(opset_version=14),
    "op15": dict(opset_version=15), "op16": dict(opset_version=16),
    "nofold": dict(opset_version=17, do_constant_folding=False),
    "eval": dict(opset_version=17, training=torch.onnx.TrainingMode.EVAL),
    "static": dict(opset_version=13, dynamic=False),
}


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    models = sys.argv[2].split(",") if len(sys.argv) > 2 else list(MODELS)
    variants = sys.argv[3].split(",") if len(sys.argv) > 3 else list(VARIANTS)
    torch.set_num_threads(2)
    for name in models:
        make, size = MODELS[name]
        torch.manual_seed(0)
        model = make(weights=None).eval()
        x = torch.randn(1, 3, size, size)
        for v in variants:
            kw = dict(VARIANTS[v])
            dynamic = kw.pop("dynamic", True)
            kw.setdefault("training", torch.onnx.TrainingMode.PRESERVE)
            path = os.path.join(out, f"{name}.{v}.onnx")
            torch.onnx.export(model, x, path, input_names=["input"], output_names=["output"],
                              dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}} if dynamic else None, **kw)
            print(path, flush=True)


if __name__ == "__main__":
    main()
