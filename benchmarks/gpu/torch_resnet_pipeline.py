#!/usr/bin/env python3
"""`prune4j prune --arch resnet --target-flops F --criterion taylor` written in plain PyTorch eager, to time against prune4j on one GPU.

The same steps, sizes and settings as

    prune4j prune --arch resnet --device cuda --target-flops 0.4 --criterion taylor --epochs E --finetune-epochs 3

  model      prune4j's Models.resnet (--width 16 --depth 1 by default): 3x3 stem conv (no bias) -> BN -> ReLU, three
             stages of `depth` basic blocks (width, 2*width, 4*width channels; the first block of stages 2 and 3 has
             stride 2 and a 1x1 projection conv + BN on its shortcut), global average pooling, Dense classifier with a
             bias. Weights He-uniform like prune4j's (U(-b, b), b = sqrt(3 / fan_in), fan_in = in_channels * k * k; the
             Dense layer the same with fan_in = in_features; zero bias); BN gamma 1, beta 0, eps 1e-5, momentum 0.1.
  data       Fashion-MNIST IDX files, pixels scaled like prune4j's Mnist loader: (p / 255 - 0.2860) / 0.3530.
  train      Adam (0.9, 0.999, 1e-8) at lr 1e-3 with a cosine decay over all steps, batch 128, a fresh shuffle every
             epoch (the last batch is the remainder), test-set evaluation after every epoch (batches of 1000).
  score      first-order Taylor per channel at the BatchNorm output after each convolution (prune4j's activation
             point): per calibration batch |sum_b mean_hw(a * dL/da)| of the batch-mean loss, averaged over 20 batches
             of 128 distinct training examples; BN running statistics put back as they were afterwards.
  groups     prune4j's dependency groups of this ResNet: the residual stream of each stage (the stem, or the first
             block's projection, and every block's conv2, whose outputs are added; their BNs follow) and the conv1
             channels of each block. A group's unit score is the mean over its members of each member's L2-normalised
             scores; the group's scores are then L2-normalised once more (prune4j's Allocation).
  prune      to a FLOPs budget: all units of all groups ranked globally (score descending; ties: lower group, then
             lower unit), the longest prefix whose network has at most F of the baseline's FLOPs is kept (each group
             keeps at least one unit); the FLOPs are prune4j's count (2 per multiply-add of conv and Dense layers, 2 per
             value of BatchNorm, 1 per value of residual adds and of the global average pooling). The model is
             compacted: new, smaller Conv2d / BatchNorm2d / Linear modules with the kept filters, input channels and
             statistics gathered; then the BN statistics are re-estimated on 20 fresh calibration batches (momentum=None
             after reset_running_stats, as prune4j's BatchNormRecalibration).
  fine-tune  3 epochs, a fresh Adam at lr 1e-3 with a cosine decay, evaluation after every epoch.

Written as a careful PyTorch user would: the data set lives on the device, batches are index_select'ed there, the
running loss, accuracy and test sums stay on the device and are read once per epoch (one host read per epoch, as
prune4j's trainer), Adam uses its default (foreach) implementation (--fused-adam: the fused one), evaluation runs under
inference_mode. FP32 throughout: TF32 off for cuBLAS and cuDNN (prune4j's cuBLAS and cuDNN calls are full FP32:
CUBLAS_DEFAULT_MATH, CUDNN_FMA_MATH); cuDNN picks its algorithms by heuristics (torch.backends.cudnn.benchmark stays
False), as prune4j does.

Timed in-process with time.perf_counter and a device synchronisation at the end of every phase, over the spans of
prune4j's report timings: train_s (training, with its per-epoch evaluations; network creation not included, as in
prune4j), score_s, prune_s (group scores, selection, compaction, BN re-estimation) and finetune_s; pipeline_s is their
sum. The evaluation right after pruning (accuracy_after_prune) is outside them, as in prune4j. Prints one JSON line.

    python3 torch_resnet_pipeline.py --data DIR [--epochs 5] [--finetune-epochs 3] [--target-flops 0.4] [--repeat 2]
    python3 torch_resnet_pipeline.py --data DIR --device cpu --threads 2 --train-limit 1024 --test-limit 512 \\
        --epochs 1 --finetune-epochs 1 --calibration-batches 2        # a smoke test without a GPU
    python3 torch_resnet_pipeline.py --flops-only [--width 16 --depth 1]  # the unpruned FLOPs, as `prune4j inspect` prints them
"""

import argparse
import gzip
import json
import math
import os
import struct
import sys
import time

# Fashion-MNIST training-set statistics, prune4j's Mnist.MEAN and Mnist.STD
MNIST_MEAN = 0.2860
MNIST_STD = 0.3530


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", help="folder with the Fashion-MNIST IDX files (.gz or not)")
    p.add_argument("--epochs", type=int, default=5, help="training epochs (default 5; prune4j's own default is 10)")
    p.add_argument("--finetune-epochs", type=int, default=3)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--finetune-lr", type=float, default=1e-3)
    p.add_argument("--calibration-batches", type=int, default=20)
    p.add_argument("--target-flops", type=float, default=0.4, help="fraction of the baseline's FLOPs to keep (default 0.4)")
    p.add_argument("--width", type=int, default=16, help="channels of the stem (default 16)")
    p.add_argument("--depth", type=int, default=1, help="basic blocks per stage (default 1)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--fused-adam", action="store_true", help="Adam(fused=True) instead of the default foreach implementation")
    p.add_argument("--device", default="cuda", help="cuda (default), or cpu for a smoke test")
    p.add_argument("--threads", type=int, default=0, help="CPU: intra-op threads (default: torch's choice)")
    p.add_argument("--train-limit", type=int, default=0, help="use only the first N training images (0: all)")
    p.add_argument("--test-limit", type=int, default=0, help="use only the first N test images (0: all)")
    p.add_argument("--repeat", type=int, default=1, help="run the whole pipeline this many times; each run is reported")
    p.add_argument("--flops-only", action="store_true", help="print the unpruned network's FLOPs per example and exit (no data)")
    return p.parse_args()


ARGS = parse_args()
if ARGS.threads > 0:
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(ARGS.threads)

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
if ARGS.threads > 0:
    torch.set_num_threads(ARGS.threads)


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


# ---- data ------------------------------------------------------------------------------------------

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
    sys.exit(f"torch_resnet_pipeline: {stem}[.gz] not found in {folder}")


def load(folder, split, device, limit):
    x = read_idx(folder, f"{split}-images-idx3-ubyte")
    y = read_idx(folder, f"{split}-labels-idx1-ubyte")
    if limit > 0:
        x, y = x[:limit], y[:limit]
    # prune4j's Mnist loader: (p / 255 - mean) / std with the training set's statistics, one channel
    x = x.reshape(x.shape[0], 1, x.shape[1], x.shape[2]).to(device=device, dtype=torch.float32)
    x = x.div_(255.0).sub_(MNIST_MEAN).div_(MNIST_STD)
    return x, y.to(device=device, dtype=torch.long)


# ---- the network -------------------------------------------------------------------------------------

def he_uniform_(w):
    """prune4j's Conv2d/Dense init: U(-b, b) with b = sqrt(3 / fan_in) (these layers have no fused ReLU)."""
    fan_in = w[0].numel()
    bound = math.sqrt(3.0 / fan_in)
    with torch.no_grad():
        w.uniform_(-bound, bound)


def conv(cin, cout, k, stride, pad):
    c = nn.Conv2d(cin, cout, k, stride, pad, bias=False)
    he_uniform_(c.weight)
    return c


class Block(nn.Module):
    """conv1 3x3 (stride) -> bn1 -> ReLU -> conv2 3x3 -> bn2, + shortcut (identity, or 1x1 conv (stride) -> BN), ReLU."""

    def __init__(self, cin, mid, cout, stride, projection):
        super().__init__()
        self.stride = stride
        self.conv1 = conv(cin, mid, 3, stride, 1)
        self.bn1 = nn.BatchNorm2d(mid)
        self.conv2 = conv(mid, cout, 3, 1, 1)
        self.bn2 = nn.BatchNorm2d(cout)
        if projection:
            self.down = conv(cin, cout, 1, stride, 0)
            self.down_bn = nn.BatchNorm2d(cout)
        else:
            self.down = None
            self.down_bn = None

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        s = x if self.down is None else self.down_bn(self.down(x))
        return F.relu(y + s)


class ResNet(nn.Module):
    """prune4j's Models.resnet with any channel counts: `streams[s]` channels in stage s's residual stream,
    `inner[s][b]` in block b's conv1; `projection[s][b]`: whether that block has a 1x1 projection shortcut."""

    def __init__(self, in_channels, streams, inner, projection, classes=10):
        super().__init__()
        self.stem = conv(in_channels, streams[0], 3, 1, 1)
        self.stem_bn = nn.BatchNorm2d(streams[0])
        stages = []
        cin = streams[0]
        for s in range(3):
            blocks = []
            for b in range(len(inner[s])):
                stride = 2 if s > 0 and b == 0 else 1
                blocks.append(Block(cin, inner[s][b], streams[s], stride, projection[s][b]))
                cin = streams[s]
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.ModuleList(stages)
        self.fc = nn.Linear(cin, classes)
        he_uniform_(self.fc.weight)
        with torch.no_grad():
            self.fc.bias.zero_()

    @staticmethod
    def fresh(width, depth, in_channels=1, classes=10):
        streams = [width, 2 * width, 4 * width]
        inner = [[c] * depth for c in streams]
        projection = []
        cin = width
        for s in range(3):
            row = []
            for b in range(depth):
                stride = 2 if s > 0 and b == 0 else 1
                row.append(stride != 1 or cin != streams[s])
                cin = streams[s]
            projection.append(row)
        return ResNet(in_channels, streams, inner, projection, classes)

    def forward(self, x):
        x = F.relu(self.stem_bn(self.stem(x)))
        for stage in self.stages:
            x = stage(x)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))

    def channels(self):
        """(streams, inner, projection), read from the modules' weights."""
        streams = [stage[0].conv2.weight.shape[0] for stage in self.stages]
        inner = [[blk.conv1.weight.shape[0] for blk in stage] for stage in self.stages]
        projection = [[blk.down is not None for blk in stage] for stage in self.stages]
        return streams, inner, projection


def conv_out(n, k, stride, pad):
    return (n + 2 * pad - k) // stride + 1


def flops(in_shape, streams, inner, projection, classes=10):
    """FLOPs per example as prune4j counts them (Layer.flopsPerExample summed over the graph's nodes):
    conv 2*Cout*Ho*Wo*Cin*k*k, BatchNorm 2*C*H*W, Add C*H*W, GlobalAvgPool C*H*W, Dense 2*in*out, ReLU 0."""
    c, h, w = in_shape
    f = 2 * streams[0] * h * w * c * 9 + 2 * streams[0] * h * w          # stem, stem.bn
    cin = streams[0]
    for s in range(3):
        for b in range(len(inner[s])):
            stride = 2 if s > 0 and b == 0 else 1
            ho, wo = conv_out(h, 3, stride, 1), conv_out(w, 3, stride, 1)
            m, co = inner[s][b], streams[s]
            f += 2 * m * ho * wo * cin * 9 + 2 * m * ho * wo                # conv1, bn1
            f += 2 * co * ho * wo * m * 9 + 2 * co * ho * wo                # conv2, bn2
            if projection[s][b]:
                f += 2 * co * ho * wo * cin + 2 * co * ho * wo              # down (1x1), down.bn
            f += co * ho * wo                                               # add
            h, w, cin = ho, wo, co
    f += cin * h * w                                                        # pool
    f += 2 * cin * classes                                                  # fc
    return f


def params(model):
    return sum(p.numel() for p in model.parameters())


# ---- dependency groups -------------------------------------------------------------------------------

class Groups:
    """The prunable dependency groups of a ResNet, in prune4j's order (by the first node that writes them):
    stage 1: its stream (the stem), then each block's conv1; stage s > 1: block 1's conv1, the stream (block 1's
    conv2), then blocks 2.. conv1. Each group: name, unit count, and the BN modules whose outputs are its scored
    members' activation points (the BN after each conv that writes the group's channels)."""

    def __init__(self, model):
        self.names, self.kinds, self.members = [], [], []
        for s, stage in enumerate(model.stages):
            stream_bns = ([model.stem_bn] if s == 0 else []) + [bn for blk in stage for bn in (blk.bn2, blk.down_bn) if bn is not None]
            stream_name = "stem" if s == 0 else f"s{s + 1}b1.conv2"
            order = [("stream", s, None)] + [("inner", s, b) for b in range(len(stage))]
            if s > 0:
                order[0], order[1] = order[1], order[0]
            for kind, st, b in order:
                if kind == "stream":
                    self.names.append(stream_name)
                    self.kinds.append(("stream", st))
                    self.members.append(stream_bns)
                else:
                    self.names.append(f"s{st + 1}b{b + 1}.conv1")
                    self.kinds.append(("inner", st, b))
                    self.members.append([stage[b].bn1])
        self.units = [m[0].num_features for m in self.members]

    def config(self, keep_counts, projection):
        """(streams, inner) of the network where group t keeps keep_counts[t] units."""
        streams = [0, 0, 0]
        inner = [[0] * len(p) for p in projection]
        for k, kind in zip(keep_counts, self.kinds):
            if kind[0] == "stream":
                streams[kind[1]] = k
            else:
                inner[kind[1]][kind[2]] = k
        return streams, inner


def l2_normalise(v):
    # prune4j's Normalization.L2: divide by the norm when it is positive and finite
    n = torch.linalg.vector_norm(v.double()).float()
    ok = (n > 0) & torch.isfinite(n)
    return torch.where(ok, v / torch.where(ok, n, torch.ones_like(n)), v)


# ---- training -----------------------------------------------------------------------------------------

def eval_sums(model, x, y, batch=1000):
    """Summed loss and correct count on the device (prune4j's Trainer.EVAL_BATCH is 1000)."""
    model.eval()
    loss = torch.zeros((), device=x.device)
    correct = torch.zeros((), device=x.device)
    with torch.inference_mode():
        for i in range(0, x.shape[0], batch):
            out = model(x[i:i + batch])
            loss += F.cross_entropy(out, y[i:i + batch], reduction="sum")
            correct += (out.argmax(1) == y[i:i + batch]).sum()
    model.train()
    return loss, correct


def evaluate(model, x, y):
    loss, correct = eval_sums(model, x, y)
    v = torch.stack([loss, correct]).tolist()
    return v[0] / x.shape[0], v[1] / x.shape[0]


def train(model, data, epochs, batch, lr, gen, fused=False):
    x, y, xt, yt = data
    opt = torch.optim.Adam(model.parameters(), lr=lr, fused=True) if fused else torch.optim.Adam(model.parameters(), lr=lr)
    steps_per_epoch = (x.shape[0] + batch - 1) // batch
    total = max(1, epochs * steps_per_epoch)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1 + math.cos(math.pi * min(s, total) / total)))
    model.train()
    history = []
    for _ in range(epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(x.shape[0], device=x.device, generator=gen)
        running = torch.zeros((), device=x.device)
        correct = torch.zeros((), device=x.device)
        for i in range(0, x.shape[0], batch):
            idx = perm[i:i + batch]
            yb = y.index_select(0, idx)
            out = model(x.index_select(0, idx))
            loss = F.cross_entropy(out, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            with torch.no_grad():
                running += loss.detach() * idx.shape[0]
                correct += (out.argmax(1) == yb).sum()
        tl, tc = eval_sums(model, xt, yt)
        v = torch.stack([running, correct, tl, tc]).tolist()   # the epoch's one host read
        history.append({"train_loss": v[0] / x.shape[0], "train_accuracy": v[1] / x.shape[0],
                        "test_loss": v[2] / xt.shape[0], "test_accuracy": v[3] / xt.shape[0],
                        "epoch_s": time.perf_counter() - t0})   # training and the evaluation; no extra synchronisation
    return history


def calibration_indices(n, batches, batch, gen, device):
    """`batches` batches of `batch` distinct examples in a seeded random order (prune4j's Calibration.forEachBatch)."""
    rows = min(batch, n)
    count = min(batches, n // rows) if rows else 0
    perm = torch.randperm(n, device=device, generator=gen)[:count * rows]
    return [perm[i * rows:(i + 1) * rows] for i in range(count)]


# ---- score, select, compact, re-estimate -------------------------------------------------------------------

def taylor_scores(model, groups, x, y, batches, batch, gen):
    """Per scored member (BN module): |sum_b mean_hw(a * g)| per channel, averaged over the calibration batches."""
    bns = []
    for ms in groups.members:
        for bn in ms:
            if all(bn is not b for b in bns):
                bns.append(bn)
    scores = [torch.zeros(bn.num_features, device=x.device) for bn in bns]

    def hook(k):
        def fn(_module, _inp, out):
            a = out.detach()

            def on_grad(g):
                # g: gradient of the batch-mean loss, so the batch sum is mean_b of a times the per-example gradient
                scores[k].add_((a * g).mean(dim=(2, 3)).sum(0).abs())
            out.register_hook(on_grad)
        return fn

    saved = [b.clone() for b in model.buffers()]   # training-mode passes move the BN statistics; put them back after
    handles = [bn.register_forward_hook(hook(k)) for k, bn in enumerate(bns)]
    model.train()
    idx_batches = calibration_indices(x.shape[0], batches, batch, gen, x.device)
    for idx in idx_batches:
        model.zero_grad(set_to_none=True)
        F.cross_entropy(model(x.index_select(0, idx)), y.index_select(0, idx)).backward()
    for h in handles:
        h.remove()
    model.zero_grad(set_to_none=True)
    with torch.no_grad():
        for b, s in zip(model.buffers(), saved):
            b.copy_(s)
        per = 1.0 / max(1, len(idx_batches))
        for s in scores:
            s.mul_(per)
    return {id(bn): s for bn, s in zip(bns, scores)}


def select(groups, member_scores, projection, baseline_flops, fraction, in_shape):
    """Kept unit indices per group (sorted), reaching the FLOPs budget by the global ranking; one device->host copy."""
    group_scores = []
    for ms in groups.members:
        # each member normalised on its own, the mean over members (--group-reduction mean), then the group's
        # scores normalised (Allocation normalises every target group's scores before the global ranking)
        g = torch.stack([l2_normalise(member_scores[id(bn)]) for bn in ms]).mean(0)
        group_scores.append(l2_normalise(g))
    host = torch.cat(group_scores).cpu().tolist()   # the one device->host copy of the selection
    score, at = [], 0
    for n in groups.units:
        score.append(host[at:at + n])
        at += n

    def key_desc(v):
        return (1, 0.0) if math.isnan(v) else (0, -v)   # descending, NaN last

    order = [sorted(range(n), key=lambda u, t=t: (key_desc(score[t][u]), u)) for t, n in enumerate(groups.units)]
    ranked = sorted(((t, u) for t, n in enumerate(groups.units) for u in range(n)),
                    key=lambda e: (key_desc(score[e[0]][e[1]]), e[0], e[1]))

    def counts(prefix):
        k = [0] * len(groups.units)
        for t, _ in ranked[:prefix]:
            k[t] += 1
        return [max(1, min(c, n)) for c, n in zip(k, groups.units)]   # --min-keep 1

    def cost(k):
        streams, inner = groups.config(k, projection)
        return flops(in_shape, streams, inner, projection)

    limit = fraction * baseline_flops
    lo, hi = 0, len(ranked)
    while lo < hi:   # the longest prefix within the budget (the cost grows with the prefix)
        mid = (lo + hi + 1) // 2
        if cost(counts(mid)) <= limit:
            lo = mid
        else:
            hi = mid - 1
    k = counts(lo)
    return [sorted(order[t][:k[t]]) for t in range(len(k))], cost(k)


def compact(model, groups, keep, device):
    """A new, smaller ResNet with the kept filters, input channels, BN parameters and statistics gathered."""
    _, _, projection = model.channels()
    idx = [torch.tensor(k, dtype=torch.long, device=device) for k in keep]
    stream_keep = [None, None, None]
    inner_keep = [[None] * len(p) for p in projection]
    for i, kind in zip(idx, groups.kinds):
        if kind[0] == "stream":
            stream_keep[kind[1]] = i
        else:
            inner_keep[kind[1]][kind[2]] = i
    streams, inner = groups.config([len(k) for k in keep], projection)
    new = ResNet(model.stem.weight.shape[1], streams, inner, projection, model.fc.out_features).to(device)

    def take_conv(dst, src, out_idx, in_idx):
        w = src.weight.detach()
        if out_idx is not None:
            w = w.index_select(0, out_idx)
        if in_idx is not None:
            w = w.index_select(1, in_idx)
        dst.weight.copy_(w)

    def take_bn(dst, src, i):
        dst.weight.copy_(src.weight.detach().index_select(0, i))
        dst.bias.copy_(src.bias.detach().index_select(0, i))
        dst.running_mean.copy_(src.running_mean.index_select(0, i))
        dst.running_var.copy_(src.running_var.index_select(0, i))
        dst.num_batches_tracked.copy_(src.num_batches_tracked)

    with torch.no_grad():
        take_conv(new.stem, model.stem, stream_keep[0], None)
        take_bn(new.stem_bn, model.stem_bn, stream_keep[0])
        cin = stream_keep[0]
        for s in range(3):
            for b, (nb, ob) in enumerate(zip(new.stages[s], model.stages[s])):
                mid, out = inner_keep[s][b], stream_keep[s]
                take_conv(nb.conv1, ob.conv1, mid, cin)
                take_bn(nb.bn1, ob.bn1, mid)
                take_conv(nb.conv2, ob.conv2, out, mid)
                take_bn(nb.bn2, ob.bn2, out)
                if ob.down is not None:
                    take_conv(nb.down, ob.down, out, cin)
                    take_bn(nb.down_bn, ob.down_bn, out)
                cin = out
        new.fc.weight.copy_(model.fc.weight.detach().index_select(1, cin))
        new.fc.bias.copy_(model.fc.bias.detach())
    return new


def reestimate_bn(model, x, batches, batch, gen):
    """prune4j's BatchNormRecalibration: running statistics = plain average of the batch statistics of `batches`
    calibration batches (PyTorch's momentum=None after reset_running_stats), no parameter changes."""
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = None
    model.train()
    with torch.no_grad():
        for idx in calibration_indices(x.shape[0], batches, batch, gen, x.device):
            model(x.index_select(0, idx))
    for bn in bns:
        bn.momentum = 0.1


# ---- the pipeline -----------------------------------------------------------------------------------------

def run(args, device, data):
    x, y, xt, yt = data
    in_shape = tuple(x.shape[1:])
    torch.manual_seed(args.seed)
    gen = torch.Generator(device=device)
    gen.manual_seed(args.seed)
    model = ResNet.fresh(args.width, args.depth, in_shape[0]).to(device)
    streams0, inner0, projection = model.channels()
    flops0 = flops(in_shape, streams0, inner0, projection)
    params0 = params(model)
    groups = Groups(model)

    sync(device)
    t0 = time.perf_counter()
    base = train(model, data, args.epochs, args.batch, args.lr, gen, args.fused_adam)
    sync(device)
    t1 = time.perf_counter()
    member_scores = taylor_scores(model, groups, x, y, args.calibration_batches, args.batch, gen)
    sync(device)
    t2 = time.perf_counter()
    keep, predicted = select(groups, member_scores, projection, flops0, args.target_flops, in_shape)
    pruned = compact(model, groups, keep, device)
    reestimate_bn(pruned, x, args.calibration_batches, args.batch, gen)
    sync(device)
    t3 = time.perf_counter()
    after_prune = evaluate(pruned, xt, yt)   # outside the phases, as prune4j's measurement after BN re-estimation
    sync(device)
    t4 = time.perf_counter()
    ft = train(pruned, data, args.finetune_epochs, args.batch, args.finetune_lr, gen, args.fused_adam)
    sync(device)
    t5 = time.perf_counter()

    streams1, inner1, _ = pruned.channels()
    flops1 = flops(in_shape, streams1, inner1, projection)
    if flops1 != predicted:
        sys.exit(f"torch_resnet_pipeline: the compacted network has {flops1} FLOPs, the selection predicted {predicted}")
    timings = {"train_s": t1 - t0, "score_s": t2 - t1, "prune_s": t3 - t2, "finetune_s": t5 - t4,
               "prune_eval_s": t4 - t3}
    timings["pipeline_s"] = timings["train_s"] + timings["score_s"] + timings["prune_s"] + timings["finetune_s"]
    return {
        "baseline_accuracy": base[-1]["test_accuracy"] if base else None,
        "accuracy_after_prune": after_prune[1],
        "pruned_accuracy": ft[-1]["test_accuracy"] if ft else after_prune[1],
        "baseline_flops": flops0,
        "pruned_flops": flops1,
        "flops_fraction": flops1 / flops0,
        "baseline_params": params0,
        "pruned_params": params(pruned),
        "groups": {n: f"{len(k)}/{u}" for n, k, u in zip(groups.names, keep, groups.units)},
        "history": {"train": base, "finetune": ft},
        "timings": timings,
    }


def main():
    args = ARGS
    if args.flops_only:
        m = ResNet.fresh(args.width, args.depth)
        s, i, p = m.channels()
        g = Groups(m)
        print(json.dumps({"width": args.width, "depth": args.depth, "flops": flops((1, 28, 28), s, i, p), "params": params(m),
                          "groups": {n: u for n, u in zip(g.names, g.units)}}))
        return
    if not args.data:
        sys.exit("torch_resnet_pipeline: --data DIR is needed (or --flops-only)")
    if args.epochs < 1 or args.finetune_epochs < 0 or args.calibration_batches < 1 or not 0 < args.target_flops <= 1:
        sys.exit("torch_resnet_pipeline: --epochs >= 1, --finetune-epochs >= 0, --calibration-batches >= 1 and "
                 "0 < --target-flops <= 1, please")
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        sys.exit("torch_resnet_pipeline: torch sees no CUDA device")
    t0 = time.perf_counter()
    x, y = load(args.data, "train", device, args.train_limit)
    xt, yt = load(args.data, "t10k", device, args.test_limit)
    sync(device)
    load_s = time.perf_counter() - t0
    runs = [run(args, device, (x, y, xt, yt)) for _ in range(args.repeat)]
    print(json.dumps({
        "torch": torch.__version__,
        "device": torch.cuda.get_device_name() if device.type == "cuda" else f"cpu ({torch.get_num_threads()} threads)",
        "train_examples": x.shape[0],
        "test_examples": xt.shape[0],
        "settings": {k: getattr(args, k) for k in ("width", "depth", "epochs", "finetune_epochs", "batch", "lr", "finetune_lr",
                                                     "calibration_batches", "target_flops", "seed")},
        "adam": "fused" if args.fused_adam else "foreach (default)",
        "load_s": load_s,
        "runs": runs,
    }))


if __name__ == "__main__":
    main()
