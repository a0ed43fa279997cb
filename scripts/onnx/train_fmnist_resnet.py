#!/usr/bin/python3
"""Trains prune4j's default `--arch resnet` in PyTorch on Fashion-MNIST and exports it as ONNX.

The network is benchmarks/torch_resnet_model.py's ResNet (the one benchmarks/torch_resnet.py times):
width 16, depth 1, 1x28x28 input, 10 classes. The recipe is the one
prune4j uses for this architecture (TrainOptions.config): SGD with momentum 0.9, weight decay 5e-4 on
every parameter, learning rate 0.1 decayed by the cosine to 0 PER STEP over all steps of the run
(lr_s = 0.1 * (1 + cos(pi * s / S)) / 2 for step s of S, as TrainConfig.learningRateAt), batch 128
with the last smaller batch kept, a fresh shuffle every epoch from a generator seeded with 42, weights
initialised by PyTorch's defaults after torch.manual_seed(42), no augmentation. Inputs use prune4j's
scaling x = (p/255 - 0.2860) / 0.3530 (see onnx_common.py).

After training it evaluates the network in eval mode on the 10,000 test images (accuracy and mean
cross-entropy) and writes
  OUTDIR/fmnist_resnet.onnx       opset 17, TrainingMode.PRESERVE (BatchNormalization nodes kept),
                                  input `input` [batch, 1, 28, 28], output `output` [batch, 10]
  OUTDIR/fmnist_resnet.onnx.json  test_accuracy, test_loss, epochs, seconds, recipe, and PyTorch's
                                  output for the first 3 test images (exact float32 values)
  OUTDIR/fmnist_resnet.pt         the state dict

Run:  /usr/bin/python3 scripts/onnx/train_fmnist_resnet.py OUTDIR [--epochs 10] [--threads 2]
"""

import argparse
import json
import math
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import onnx_common as oc  # noqa: E402


# the architecture of prune4j's Models.resnet, as benchmarks/torch_resnet.py times it
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "benchmarks"))
from torch_resnet_model import ResNet  # noqa: E402


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("outdir", help="folder for fmnist_resnet.onnx and its .json")
    p.add_argument("--epochs", type=int, default=10, help="training epochs (default: 10)")
    p.add_argument("--threads", type=int, default=2, help="PyTorch threads (default: 2)")
    p.add_argument("--data", default=oc.FMNIST_DIR, help=f"Fashion-MNIST IDX folder (default: {oc.FMNIST_DIR})")
    p.add_argument("--limit", type=int, default=0, help="train on the first N training images only (timing runs; default: all)")
    return p.parse_args()


def main():
    args = parse_args()
    if args.epochs < 1:
        sys.exit("--epochs must be at least 1")
    oc.set_threads(args.threads)
    os.makedirs(args.outdir, exist_ok=True)
    train_x, train_y = oc.load_fmnist("train", args.data)
    test_x, test_y = oc.load_fmnist("test", args.data)
    if args.limit:
        train_x, train_y = train_x[:args.limit], train_y[:args.limit]

    seed, width, depth, batch, lr0, momentum, wd = 42, 16, 1, 128, 0.1, 0.9, 5e-4
    torch.manual_seed(seed)
    net = ResNet(width, depth)
    opt = torch.optim.SGD(net.parameters(), lr=lr0, momentum=momentum, weight_decay=wd)
    shuffle = torch.Generator().manual_seed(seed)
    n = train_x.shape[0]
    per_epoch = (n + batch - 1) // batch
    total = args.epochs * per_epoch
    step = 0
    t0 = time.perf_counter()
    history = []
    for epoch in range(args.epochs):
        net.train()
        te = time.perf_counter()
        order = torch.randperm(n, generator=shuffle)
        loss_sum = 0.0
        for i in range(0, n, batch):
            idx = order[i:i + batch]
            lr = lr0 * 0.5 * (1 + math.cos(math.pi * min(1.0, step / total)))
            for g in opt.param_groups:
                g["lr"] = lr
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(net(train_x[idx]), train_y[idx])
            loss.backward()
            opt.step()
            loss_sum += loss.item() * idx.shape[0]
            step += 1
        acc, tl = oc.evaluate(net, test_x, test_y)
        rec = {"epoch": epoch + 1, "train_loss": loss_sum / n, "test_accuracy": acc, "test_loss": tl,
               "seconds": time.perf_counter() - te}
        history.append(rec)
        print(json.dumps(rec), flush=True)
    seconds = time.perf_counter() - t0

    net.eval()
    acc, loss = oc.evaluate(net, test_x, test_y)
    print(f"test accuracy {acc:.4f}, test loss {loss:.4f}, {seconds:.0f} s for {args.epochs} epochs", flush=True)

    path = os.path.join(args.outdir, "fmnist_resnet.onnx")
    x = test_x[:3].clone()
    with torch.no_grad():
        y = net(x)
    proto = oc.export(net, x, path, 17)
    oc.check_symbolic_batch(proto)
    assert "BatchNormalization" in oc.op_types(proto)
    got = oc.run_onnx(proto, x)
    assert torch.allclose(got, y, rtol=1e-5, atol=1e-5), (got - y).abs().max()
    torch.save(net.state_dict(), os.path.join(args.outdir, "fmnist_resnet.pt"))
    oc.write_reference(
        path + ".json", x, y, 17,
        "prune4j's default ResNet (width 16, depth 1) trained in PyTorch on Fashion-MNIST; input: the first 3 test images, "
        "scaled; output: logits",
        test_accuracy=acc, test_loss=loss, test_examples=int(test_x.shape[0]), train_examples=int(n),
        epochs=args.epochs, seconds=round(seconds, 1), threads=args.threads,
        recipe={"optimizer": "SGD", "momentum": momentum, "weight_decay": wd, "lr": lr0,
                "lr_schedule": "cosine to 0 per step over all steps", "batch": batch, "shuffle_seed": seed,
                "init_seed": seed, "augment": False, "width": width, "depth": depth},
        input_scaling=oc.INPUT_SCALING, op_types=oc.op_types(proto), history=history,
        labels=test_y[:3].tolist())
    print(f"wrote {path} ({os.path.getsize(path)} bytes) and {path}.json; ops {oc.op_types(proto)}", flush=True)


if __name__ == "__main__":
    main()
