#!/usr/bin/python3
"""Checks of benchmarks/gpu/torch_resnet_pipeline.py's pieces on the CPU (Debian's PyTorch; no data needed):

  - the FLOPs and parameter counts of the unpruned ResNet are prune4j's (`prune4j inspect --arch resnet` prints
    18,848,640 FLOPs and 77,754 parameters for --width 16 --depth 1; the numbers below were read from it);
  - the Taylor scores equal a plain retain_grad computation of |sum_b mean_hw(a * g)| at each BN output;
  - the selection keeps the longest prefix of the global ranking within the budget (one unit more breaks it);
  - the compacted network computes exactly what the unpruned one computes with the removed channels zeroed at every
    BN output of their group (eval mode, before the BN re-estimation), and has the FLOPs the selection predicted;
  - the BN re-estimation leaves the plain average of the batch statistics.

    /usr/bin/python3 benchmarks/test_torch_resnet_pipeline.py
"""

import importlib.util
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.argv = [sys.argv[0], "--threads", "2"]   # the module parses its arguments when imported
spec = importlib.util.spec_from_file_location("trp", os.path.join(HERE, "gpu", "torch_resnet_pipeline.py"))
trp = importlib.util.module_from_spec(spec)
spec.loader.exec_module(trp)
torch, F, nn = trp.torch, trp.F, trp.nn

# from `prune4j inspect --arch resnet --width W --depth D` (first line of its output)
INSPECT = {(16, 1): (18848640, 77754), (16, 2): (40634432, 174970), (8, 3): (15755904, 68642), (4, 1): (1250016, 5142)}


def check_counts():
    for (w, d), (fl, pa) in INSPECT.items():
        m = trp.ResNet.fresh(w, d)
        s, i, p = m.channels()
        assert trp.flops((1, 28, 28), s, i, p) == fl, (w, d, trp.flops((1, 28, 28), s, i, p), fl)
        assert trp.params(m) == pa, (w, d, trp.params(m), pa)
    print("counts: FLOPs and parameters match prune4j inspect for", sorted(INSPECT))


def data(n=512, seed=3):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 1, 28, 28, generator=g)
    y = torch.randint(0, 10, (n,), generator=g)
    return x, y


def trained(width=8, depth=2, seed=1):
    torch.manual_seed(seed)
    m = trp.ResNet.fresh(width, depth)
    x, y = data()
    opt = torch.optim.Adam(m.parameters(), lr=3e-3)
    for i in range(0, 512, 64):
        opt.zero_grad()
        F.cross_entropy(m(x[i:i + 64]), y[i:i + 64]).backward()
        opt.step()
    return m, x, y


def check_scores():
    m, x, y = trained()
    groups = trp.Groups(m)
    before = [b.clone() for b in m.buffers()]
    got = trp.taylor_scores(m, groups, x, y, 3, 128, torch.Generator().manual_seed(5))
    for b, s in zip(m.buffers(), before):
        assert torch.equal(b, s), "BN statistics not put back after scoring"
    # reference: the same batches, retain_grad on every BN output
    idx = trp.calibration_indices(x.shape[0], 3, 128, torch.Generator().manual_seed(5), x.device)
    bns = [mod for mod in m.modules() if isinstance(mod, nn.BatchNorm2d)]
    ref = {id(bn): torch.zeros(bn.num_features) for bn in bns}
    for ix in idx:
        outs = {}

        def keep(mod, _inp, o):
            o.retain_grad()
            outs[id(mod)] = o
        hs = [bn.register_forward_hook(keep) for bn in bns]
        m.zero_grad()
        F.cross_entropy(m(x[ix]), y[ix]).backward()
        for h in hs:
            h.remove()
        for k, o in outs.items():
            ref[k] += (o.detach() * o.grad).mean(dim=(2, 3)).sum(0).abs() / len(idx)
    for k, s in got.items():
        assert torch.allclose(s, ref[k], rtol=1e-5, atol=1e-12), (s, ref[k])
    print(f"scores: {len(got)} members match the retain_grad reference")
    return m, x, y, groups, got


def check_select_and_compact(m, x, y, groups, scores):
    _, _, proj = m.channels()
    base = trp.flops((1, 28, 28), *m.channels())
    for fraction in (0.4, 0.6, 0.1):
        keep, predicted = trp.select(groups, scores, proj, base, fraction, (1, 28, 28))
        assert predicted <= fraction * base, (predicted, fraction * base)
        pruned = trp.compact(m, groups, keep, torch.device("cpu"))
        s1, i1, _ = pruned.channels()
        assert trp.flops((1, 28, 28), s1, i1, proj) == predicted
        # the unpruned net with the removed channels zeroed at every BN output of their group computes the same
        masks = {}
        for k, ms in zip(keep, groups.members):
            for bn in ms:
                mask = torch.zeros(bn.num_features)
                mask[k] = 1
                masks[id(bn)] = mask.view(1, -1, 1, 1)
        hs = [bn.register_forward_hook(lambda mod, i, o: o * masks[id(mod)])
              for bn in m.modules() if isinstance(bn, nn.BatchNorm2d) and id(bn) in masks]
        m.eval()
        pruned.eval()
        with torch.no_grad():
            a, b = m(x[:64]), pruned(x[:64])
        for h in hs:
            h.remove()
        m.train()
        assert torch.allclose(a, b, rtol=1e-4, atol=1e-5), (a - b).abs().max()
        print(f"select + compact at {fraction}: {predicted}/{base} FLOPs ({predicted / base:.3f}), kept",
              {n: len(k) for n, k in zip(groups.names, keep)}, "; logits equal the masked network's")
    return pruned


def check_prefix_rule():
    """The selection's prefix is the longest within the budget: recompute it by brute force over all prefixes."""
    m, x, y = trained(width=4, depth=1, seed=2)
    groups = trp.Groups(m)
    scores = trp.taylor_scores(m, groups, x, y, 2, 128, torch.Generator().manual_seed(7))
    _, _, proj = m.channels()
    base = trp.flops((1, 28, 28), *m.channels())
    keep, predicted = trp.select(groups, scores, proj, base, 0.5, (1, 28, 28))
    gs = [trp.l2_normalise(torch.stack([trp.l2_normalise(scores[id(bn)]) for bn in ms]).mean(0)) for ms in groups.members]
    ranked = sorted(((t, u) for t, g in enumerate(gs) for u in range(len(g))), key=lambda e: (-float(gs[e[0]][e[1]]), e[0], e[1]))
    best = None
    for prefix in range(len(ranked) + 1):
        k = [0] * len(gs)
        for t, _ in ranked[:prefix]:
            k[t] += 1
        k = [max(1, c) for c in k]
        if trp.flops((1, 28, 28), *groups.config(k, proj), proj) <= 0.5 * base:
            best = k
    assert best == [len(k) for k in keep], (best, [len(k) for k in keep])
    print("prefix rule: the binary search finds the brute-force longest prefix", best)


def check_bn_reestimation(pruned, x):
    gen = torch.Generator().manual_seed(11)
    trp.reestimate_bn(pruned, x, 3, 128, gen)
    idx = trp.calibration_indices(x.shape[0], 3, 128, torch.Generator().manual_seed(11), x.device)
    bn = pruned.stem_bn
    got_mean, got_var = bn.running_mean.clone(), bn.running_var.clone()
    acts = []
    h = pruned.stem.register_forward_hook(lambda mod, i, o: acts.append(o.detach()))
    pruned.eval()   # the stem's outputs do not depend on the mode; eval leaves the statistics alone
    with torch.no_grad():
        for ix in idx:
            pruned(x[ix])
    h.remove()
    pruned.train()
    mean = torch.stack([a.mean(dim=(0, 2, 3)) for a in acts]).mean(0)
    var = torch.stack([a.transpose(0, 1).reshape(a.shape[1], -1).var(1, unbiased=True) for a in acts]).mean(0)
    assert torch.allclose(got_mean, mean, rtol=1e-4, atol=1e-7), (got_mean, mean)
    assert torch.allclose(got_var, var, rtol=1e-4, atol=1e-7), (got_var, var)
    assert all(mod.momentum == 0.1 for mod in pruned.modules() if isinstance(mod, nn.BatchNorm2d))
    print("BN re-estimation: running statistics are the plain average of the batch statistics")


if __name__ == "__main__":
    check_counts()
    m, x, y, groups, scores = check_scores()
    pruned = check_select_and_compact(m, x, y, groups, scores)
    check_prefix_rule()
    check_bn_reestimation(pruned, x)
    print("all checks passed")
