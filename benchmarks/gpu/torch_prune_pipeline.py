#!/usr/bin/env python3
"""The `prune4j prune` default pipeline written in plain PyTorch eager, to time against prune4j on one GPU.

The same steps, sizes and settings as `prune4j prune --device cuda` with no options:
  train      784-300-100-10 MLP (ReLU), Adam lr 1e-3 with a cosine decay over all steps, batch 128,
             10 epochs, a fresh shuffle every epoch, test-set evaluation after every epoch
  score      first-order Taylor (Molchanov et al. 2017): per hidden unit |sum_b a * dL/da| of the
             batch-mean loss, added up over 20 calibration batches of 128 training examples
  prune      layer-wise: the 50% lowest-scored units of each hidden layer go (ties: lower index kept);
             the layers are rebuilt smaller (kept rows of W_l and b_l, kept columns of W_l+1)
  fine-tune  2 epochs, a fresh Adam at lr 1e-3 with a cosine decay, evaluation after every epoch

Written as a careful PyTorch user would: the data set lives on the GPU, batches are index_select'ed
there, the running loss and accuracy stay on the device and are read once per epoch, Adam uses its
default (foreach) implementation (--fused-adam: the fused one), evaluation runs under inference_mode. FP32 throughout (TF32 off,
as prune4j's cuBLAS calls are FP32).

Timed in-process with time.perf_counter and torch.cuda.synchronize at the end of every phase, from the
data already on the GPU to the fine-tuned model's test accuracy (the same span as prune4j's report
timings train + score + prune + finetune). Prints one JSON object on stdout.

    python3 torch_prune_pipeline.py --data DIR [--epochs 10] [--finetune-epochs 2] [--seed 42]
"""

import argparse
import gzip
import json
import math
import os
import struct
import sys
import time

import torch
import torch.nn.functional as F

torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True, help="folder with the Fashion-MNIST IDX files (.gz or not)")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--finetune-epochs", type=int, default=2)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--calibration-batches", type=int, default=20)
    p.add_argument("--sparsity", type=float, default=0.5)
    p.add_argument("--hidden", default="300,100")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--fused-adam", action="store_true", help="Adam(fused=True) instead of the default foreach implementation")
    p.add_argument("--device", default="cuda", help="cuda (default), or cpu for a smoke test")
    p.add_argument("--repeat", type=int, default=1, help="run the whole pipeline this many times; each run is reported")
    return p.parse_args()


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def read_idx(folder, stem):
    for name in (stem, stem + ".gz"):
        path = os.path.join(folder, name)
        if os.path.exists(path):
            opener = gzip.open if name.endswith(".gz") else open
            with opener(path, "rb") as f:
                data = f.read()
            magic, = struct.unpack(">I", data[:4])
            dims = magic & 0xFF
            shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
            return torch.frombuffer(bytearray(data[4 + 4 * dims:]), dtype=torch.uint8).reshape(shape)
    sys.exit(f"torch_prune_pipeline: {stem}[.gz] not found in {folder}")


def load(folder, split, device):
    x = read_idx(folder, f"{split}-images-idx3-ubyte")
    y = read_idx(folder, f"{split}-labels-idx1-ubyte")
    # prune4j scales pixels to [0, 1]
    return x.reshape(x.shape[0], -1).to(device=device, dtype=torch.float32).div_(255.0), y.to(device=device, dtype=torch.long)


def mlp(sizes, device):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers).to(device)


def evaluate(model, x, y, batch=1024):
    model.eval()
    loss = torch.zeros((), device=x.device)
    correct = torch.zeros((), device=x.device, dtype=torch.long)
    with torch.inference_mode():
        for i in range(0, x.shape[0], batch):
            out = model(x[i:i + batch])
            loss += F.cross_entropy(out, y[i:i + batch], reduction="sum")
            correct += (out.argmax(1) == y[i:i + batch]).sum()
    model.train()
    return loss.item() / x.shape[0], correct.item() / x.shape[0]


def train(model, data, epochs, batch, lr, gen, fused=False):
    x, y, xt, yt = data
    opt = torch.optim.Adam(model.parameters(), lr=lr, fused=True) if fused else torch.optim.Adam(model.parameters(), lr=lr)
    steps_per_epoch = x.shape[0] // batch + (1 if x.shape[0] % batch else 0)
    total = max(1, epochs * steps_per_epoch)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1 + math.cos(math.pi * min(s, total) / total)))
    history = []
    for _ in range(epochs):
        perm = torch.randperm(x.shape[0], device=x.device, generator=gen)
        running = torch.zeros((), device=x.device)
        for i in range(0, x.shape[0], batch):
            idx = perm[i:i + batch]
            loss = F.cross_entropy(model(x.index_select(0, idx)), y.index_select(0, idx))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            running += loss.detach() * idx.shape[0]
        train_loss = running.item() / x.shape[0]
        test_loss, test_acc = evaluate(model, xt, yt)
        history.append({"train_loss": train_loss, "test_loss": test_loss, "test_accuracy": test_acc})
    return history


def taylor_scores(model, x, y, batches, batch, gen):
    """|sum_b a*g| per hidden unit (post-ReLU output), added over the calibration batches."""
    relus = [m for m in model if isinstance(m, torch.nn.ReLU)]
    scores = [None] * len(relus)
    acts = [None] * len(relus)

    def hook(k):
        def fn(_module, _inp, out):
            out.retain_grad()
            acts[k] = out
        return fn

    handles = [r.register_forward_hook(hook(k)) for k, r in enumerate(relus)]
    perm = torch.randperm(x.shape[0], device=x.device, generator=gen)
    for b in range(batches):
        idx = perm[b * batch:(b + 1) * batch]
        model.zero_grad(set_to_none=True)
        F.cross_entropy(model(x.index_select(0, idx)), y.index_select(0, idx)).backward()
        for k, a in enumerate(acts):
            s = (a.detach() * a.grad).sum(0).abs()
            scores[k] = s if scores[k] is None else scores[k] + s
    for h in handles:
        h.remove()
    model.zero_grad(set_to_none=True)
    return scores


def prune_layerwise(model, scores, sparsity):
    """Keep the (1 - sparsity) best units of each hidden layer; rebuild the Linear layers smaller."""
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    keep = []
    for s in scores:
        n = s.shape[0]
        k = max(1, n - int(math.floor(sparsity * n + 1e-9)))
        # stable descending order: equal scores keep the lower index first
        order = torch.sort(s, descending=True, stable=True).indices[:k]
        keep.append(torch.sort(order).values)
    new_layers = []
    prev_keep = None
    for i, lin in enumerate(linears):
        w, b = lin.weight.detach(), lin.bias.detach()
        if prev_keep is not None:
            w = w.index_select(1, prev_keep)
        if i < len(keep):
            w, b = w.index_select(0, keep[i]), b.index_select(0, keep[i])
            prev_keep = keep[i]
        layer = torch.nn.Linear(w.shape[1], w.shape[0], device=w.device)
        with torch.no_grad():
            layer.weight.copy_(w)
            layer.bias.copy_(b)
        new_layers.append(layer)
        if i < len(linears) - 1:
            new_layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*new_layers)


def run(args, device, data):
    torch.manual_seed(args.seed)
    gen = torch.Generator(device=device)
    gen.manual_seed(args.seed)
    sizes = [784] + [int(h) for h in args.hidden.split(",")] + [10]
    times = {}
    sync(device)
    t0 = time.perf_counter()
    model = mlp(sizes, device)
    base = train(model, data, args.epochs, args.batch, args.lr, gen, args.fused_adam)
    sync(device)
    t1 = time.perf_counter()
    scores = taylor_scores(model, data[0], data[1], args.calibration_batches, args.batch, gen)
    sync(device)
    t2 = time.perf_counter()
    pruned = prune_layerwise(model, scores, args.sparsity)
    sync(device)
    t3 = time.perf_counter()
    ft = train(pruned, data, args.finetune_epochs, args.batch, args.lr, gen, args.fused_adam)
    sync(device)
    t4 = time.perf_counter()
    times.update(train_s=t1 - t0, score_s=t2 - t1, prune_s=t3 - t2, finetune_s=t4 - t3, pipeline_s=t4 - t0)
    params = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    return {
        "baseline_accuracy": base[-1]["test_accuracy"],
        "pruned_accuracy": ft[-1]["test_accuracy"] if ft else None,
        "baseline_params": params(model),
        "pruned_params": params(pruned),
        "hidden_after": [m.out_features for m in pruned if isinstance(m, torch.nn.Linear)][:-1],
        "timings": times,
    }


def main():
    args = parse_args()
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        sys.exit("torch_prune_pipeline: torch sees no CUDA device")
    t0 = time.perf_counter()
    x, y = load(args.data, "train", device)
    xt, yt = load(args.data, "t10k", device)
    sync(device)
    load_s = time.perf_counter() - t0
    runs = [run(args, device, (x, y, xt, yt)) for _ in range(args.repeat)]
    print(json.dumps({
        "torch": torch.__version__,
        "device": torch.cuda.get_device_name() if device.type == "cuda" else "cpu",
        "train_examples": x.shape[0],
        "test_examples": xt.shape[0],
        "adam": "fused" if args.fused_adam else "foreach (default)",
        "load_s": load_s,
        "runs": runs,
    }, indent=2))


if __name__ == "__main__":
    main()
