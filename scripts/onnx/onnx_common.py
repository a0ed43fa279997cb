"""Helpers shared by the ONNX fixture scripts in this folder (not a script itself).

- Fashion-MNIST loading with prune4j's input scaling, bit for bit: prune4j (io.prune4j.data.Mnist)
  computes x = p * a + b in float32 with a = 1 / (255 * 0.3530) and b = -0.2860 / 0.3530, which is
  (p/255 - 0.2860) / 0.3530 up to float32 rounding; `scale_pixels` does the same float32 operations.
- `export`: torch.onnx.export with the input named `input`, the output `output` and a symbolic batch
  dimension (dim_param "batch") on both.
- `write_reference`: the `.json` next to an exported file, floats written so that float32 values
  round-trip exactly (each value is the float32 widened to a double, printed with Python's repr).
- `run_onnx`: a small evaluator of the ONNX graph built on torch.nn.functional, for the operators the
  fixtures use. onnxruntime is not installed on the machine these scripts were written on, so the
  scripts check every exported file with it against PyTorch's own output.
"""

import gzip
import json
import os
import struct

import numpy as np
import onnx
import onnx.numpy_helper
import torch
import torch.nn as nn
import torch.nn.functional as F

FMNIST_DIR = "/usr/share/datasets/fashion-mnist"
FMNIST_MEAN = 0.2860
FMNIST_STD = 0.3530
INPUT_SCALING = ("x = (p/255 - 0.2860) / 0.3530 per pixel p in 0..255, computed in float32 as prune4j does: "
                 "x = p * (1 / (255 * 0.3530)) + (-0.2860 / 0.3530); input shape [1, 28, 28]")


def set_threads(n):
    """Caps PyTorch's threads (the machine these ran on has 2 cores shared with other work)."""
    torch.set_num_threads(n)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass  # already set once in this process


def _read_idx(path):
    with gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb") as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    arr = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if arr.size != int(np.prod(dims)):
        raise ValueError(f"{path}: {arr.size} bytes of data for dimensions {dims}")
    return arr.reshape(dims)


def _idx_path(directory, base):
    for name in (base, base + ".gz"):
        p = os.path.join(directory, name)
        if os.path.isfile(p):
            return p
    raise FileNotFoundError(os.path.join(directory, base) + "[.gz] not found")


def scale_pixels(pixels):
    """uint8 pixels [N, 28, 28] -> float32 [N, 1, 28, 28] with prune4j's Fashion-MNIST scaling."""
    a = np.float32(1) / (np.float32(255) * np.float32(FMNIST_STD))
    b = -np.float32(FMNIST_MEAN) / np.float32(FMNIST_STD)
    x = pixels.astype(np.float32) * a + b
    assert x.dtype == np.float32
    return x.reshape(-1, 1, pixels.shape[1], pixels.shape[2])


def load_fmnist(split, directory=FMNIST_DIR):
    """("train" | "test") -> (float32 images [N, 1, 28, 28] scaled, int64 labels [N])."""
    prefix = "train" if split == "train" else "t10k"
    images = _read_idx(_idx_path(directory, prefix + "-images-idx3-ubyte"))
    labels = _read_idx(_idx_path(directory, prefix + "-labels-idx1-ubyte"))
    if images.shape[0] != labels.shape[0]:
        raise ValueError(f"{directory}: {images.shape[0]} {split} images but {labels.shape[0]} labels")
    return torch.from_numpy(scale_pixels(images)), torch.from_numpy(labels.astype(np.int64))


@torch.no_grad()
def evaluate(model, images, labels, batch=1000):
    """Accuracy and mean cross-entropy of `model` (put in eval mode) over the whole set."""
    model.eval()
    correct = 0
    loss_sum = 0.0
    for i in range(0, images.shape[0], batch):
        logits = model(images[i:i + batch])
        y = labels[i:i + batch]
        loss_sum += F.cross_entropy(logits, y, reduction="sum").item()
        correct += (logits.argmax(1) == y).sum().item()
    n = images.shape[0]
    return correct / n, loss_sum / n


def export(model, example, path, opset, training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=True):
    """Exports `model` (already in eval mode) with a symbolic batch dimension; returns the loaded ModelProto."""
    assert not model.training, "export the model in eval mode"
    torch.onnx.export(model, (example,), path, opset_version=opset, training=training,
                      do_constant_folding=do_constant_folding, input_names=["input"], output_names=["output"],
                      dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    proto = onnx.load(path)
    onnx.checker.check_model(proto)
    return proto


def check_symbolic_batch(proto):
    for v in list(proto.graph.input) + list(proto.graph.output):
        d0 = v.type.tensor_type.shape.dim[0]
        assert d0.dim_param and not d0.HasField("dim_value"), f"{v.name}: batch dimension is not symbolic"


def op_types(proto):
    """The operator types of the graph, sorted, each once."""
    return sorted({n.op_type for n in proto.graph.node})


def exact_floats(t):
    """Flat list of Python floats each exactly equal to a float32 value of `t`."""
    a = np.asarray(t.detach().cpu().numpy() if torch.is_tensor(t) else t, dtype=np.float32).ravel()
    return [float(v) for v in a.astype(np.float64)]


def write_reference(path, x, y, opset, description, **extra):
    """Writes `path` (the exported file's name + .json) with the fixed input and PyTorch's output."""
    ref = {
        "description": description,
        "opset": opset,
        "torch": torch.__version__,
        "input_shape": list(x.shape),
        "output_shape": list(y.shape),
    }
    ref.update(extra)
    ref["input"] = exact_floats(x)
    ref["output"] = exact_floats(y)
    with open(path, "w") as f:
        json.dump(ref, f, separators=(",", ":"))
        f.write("\n")
    # the floats read back are the float32 values written
    with open(path) as f:
        back = json.load(f)
    assert np.array_equal(np.asarray(back["output"], dtype=np.float32), y.detach().numpy().ravel())
    assert np.array_equal(np.asarray(back["input"], dtype=np.float32), x.detach().numpy().ravel())


# ---------------------------------------------------------------------------------------------
# A minimal ONNX evaluator (inference only) for the operators PyTorch writes for these fixtures.

def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _pool_pads(pads):
    # ONNX pads are [begin_h, begin_w, end_h, end_w]; the fixtures use symmetric padding only
    n = len(pads) // 2
    assert list(pads[:n]) == list(pads[n:]), f"asymmetric pads {pads}"
    return list(pads[:n])


def _run_node(node, ins):
    op, at = node.op_type, _attrs(node)
    if op == "Conv":
        assert at.get("auto_pad", b"NOTSET") in (b"NOTSET", "NOTSET")
        pads = _pool_pads(at.get("pads", [0, 0, 0, 0]))
        return F.conv2d(ins[0], ins[1], ins[2] if len(ins) > 2 else None, stride=at.get("strides", [1, 1]),
                        padding=pads, dilation=at.get("dilations", [1, 1]), groups=at.get("group", 1))
    if op == "BatchNormalization":
        assert not at.get("training_mode", 0)
        return F.batch_norm(ins[0], ins[3], ins[4], ins[1], ins[2], training=False, eps=at.get("epsilon", 1e-5))
    if op == "Relu":
        return F.relu(ins[0])
    if op == "InstanceNormalization":
        return F.instance_norm(ins[0], weight=ins[1], bias=ins[2], eps=at.get("epsilon", 1e-5))
    if op == "Clip":
        lo = at.get("min") if "min" in at else (ins[1].item() if len(ins) > 1 and ins[1] is not None else None)
        hi = at.get("max") if "max" in at else (ins[2].item() if len(ins) > 2 and ins[2] is not None else None)
        return torch.clamp(ins[0], lo, hi)
    if op == "MaxPool":
        return F.max_pool2d(ins[0], at["kernel_shape"], at.get("strides", [1, 1]), _pool_pads(at.get("pads", [0, 0, 0, 0])),
                            at.get("dilations", [1, 1]), ceil_mode=bool(at.get("ceil_mode", 0)))
    if op == "AveragePool":
        return F.avg_pool2d(ins[0], at["kernel_shape"], at.get("strides", [1, 1]), _pool_pads(at.get("pads", [0, 0, 0, 0])),
                            ceil_mode=bool(at.get("ceil_mode", 0)), count_include_pad=bool(at.get("count_include_pad", 0)))
    if op == "GlobalAveragePool":
        return ins[0].mean(dim=(2, 3), keepdim=True)
    if op == "Pad":
        assert at.get("mode", b"constant") in (b"constant", "constant"), f"Pad mode {at['mode']}"
        pads = [int(v) for v in (ins[1].tolist() if len(ins) > 1 else at["pads"])]
        value = float(ins[2].item()) if len(ins) > 2 and ins[2] is not None else at.get("value", 0.0)
        n = len(pads) // 2
        # ONNX: [begin of each axis..., end of each axis...]; F.pad: (begin, end) of the last axis first
        return F.pad(ins[0], [p for d in reversed(range(n)) for p in (pads[d], pads[d + n])], value=value)
    if op == "Add":
        return ins[0] + ins[1]
    if op == "Mul":
        return ins[0] * ins[1]  # broadcasts a squeeze-and-excitation gate [N, C, 1, 1] as ONNX does
    if op == "Concat":
        return torch.cat(ins, dim=at["axis"])
    if op == "Flatten":
        axis = at.get("axis", 1)
        return ins[0].reshape(int(np.prod(ins[0].shape[:axis])), -1)
    if op == "Reshape":
        shape = [int(s) for s in ins[1].tolist()]
        shape = [ins[0].shape[i] if s == 0 else s for i, s in enumerate(shape)]
        return ins[0].reshape(shape)
    if op == "Gemm":
        a, b = ins[0], ins[1]
        a = a.t() if at.get("transA", 0) else a
        b = b.t() if at.get("transB", 0) else b
        y = at.get("alpha", 1.0) * (a @ b)
        return y + at.get("beta", 1.0) * ins[2] if len(ins) > 2 else y
    if op == "MatMul":
        return ins[0] @ ins[1]
    if op in ("Identity", "Dropout"):
        return ins[0]
    if op == "Constant":
        return torch.from_numpy(onnx.numpy_helper.to_array(at["value"]).copy())
    if op == "LeakyRelu":
        return F.leaky_relu(ins[0], at.get("alpha", 0.01))
    if op == "HardSwish":
        return F.hardswish(ins[0])
    if op == "HardSigmoid":
        return torch.clamp(at.get("alpha", 0.2) * ins[0] + at.get("beta", 0.5), 0, 1)
    if op == "Sigmoid":
        return torch.sigmoid(ins[0])
    if op == "Tanh":
        return torch.tanh(ins[0])
    if op == "Elu":
        return F.elu(ins[0], at.get("alpha", 1.0))
    if op == "Softmax":
        return F.softmax(ins[0], dim=at.get("axis", -1))
    if op == "LogSoftmax":
        return F.log_softmax(ins[0], dim=at.get("axis", -1))
    if op in ("ReduceMean", "ReduceMax", "ReduceSum"):
        axes = tuple(at["axes"] if "axes" in at else ins[1].tolist())
        keep = bool(at.get("keepdims", 1))
        if op == "ReduceMax":
            return torch.amax(ins[0], dim=axes, keepdim=keep)
        return ins[0].mean(dim=axes, keepdim=keep) if op == "ReduceMean" else ins[0].sum(dim=axes, keepdim=keep)
    if op == "Squeeze":
        axes = at["axes"] if "axes" in at else ins[1].tolist()
        y = ins[0]
        for a in sorted((a + y.dim() if a < 0 else a for a in axes), reverse=True):
            y = y.squeeze(a)
        return y
    # the shape arithmetic of x.view(x.size(0), -1), on int64 tensors
    if op == "Shape":
        return torch.tensor(ins[0].shape, dtype=torch.int64)
    if op == "Gather":
        return torch.index_select(ins[0], at.get("axis", 0), ins[1].reshape(-1)).reshape(ins[1].shape)
    if op == "Unsqueeze":
        y = ins[0]
        for a in sorted(at["axes"] if "axes" in at else ins[1].tolist()):
            y = y.unsqueeze(a)
        return y
    if op == "Expand":
        return ins[0].expand(*[int(d) for d in ins[1].tolist()])
    if op == "PRelu":
        return torch.where(ins[0] > 0, ins[0], ins[0] * ins[1])
    if op == "Div":
        if ins[0].dtype.is_floating_point:
            return ins[0] / ins[1]
        return torch.div(ins[0], ins[1], rounding_mode="trunc")
    if op == "Sub":
        return ins[0] - ins[1]
    if op == "Cast":
        types = {1: torch.float32, 6: torch.int32, 7: torch.int64}
        return ins[0].to(types[at["to"]])
    if op == "Transpose":
        return ins[0].permute(*at["perm"])
    if op == "Slice":
        starts, ends = ins[1].tolist(), ins[2].tolist()
        axes = ins[3].tolist() if len(ins) > 3 and ins[3] is not None else list(range(len(starts)))
        steps = ins[4].tolist() if len(ins) > 4 and ins[4] is not None else [1] * len(starts)
        y = ins[0]
        for a, b, e, st in zip(axes, starts, ends, steps):
            n = y.shape[a]
            lo, hi = (0, n) if st > 0 else (-1, n - 1)
            b = max(lo, min(b + n if b < 0 else b, hi))
            e = max(lo, min(e + n if e < 0 else e, hi))
            y = y.index_select(a, torch.tensor(list(range(b, e, st)), dtype=torch.long))
        return y
    if op == "ConstantOfShape":
        value = onnx.numpy_helper.to_array(at["value"]) if "value" in at else np.zeros(1, np.float32)
        return torch.from_numpy(np.full([int(v) for v in ins[0].tolist()], value.reshape(-1)[0], dtype=value.dtype))
    if op == "Split":
        sizes = at["split"] if "split" in at else ins[1].tolist()
        return list(torch.split(ins[0], sizes, dim=at.get("axis", 0)))
    if op == "Selu":
        return at.get("gamma", 1.0507009873554805) * F.elu(ins[0], at.get("alpha", 1.6732632423543772))
    if op == "Celu":
        return F.celu(ins[0], at.get("alpha", 1.0))
    if op == "Softplus":
        return F.softplus(ins[0])
    if op == "Erf":
        return torch.erf(ins[0])
    if op == "Pow":
        return torch.pow(ins[0], ins[1])
    if op == "Sqrt":
        return torch.sqrt(ins[0])
    if op == "Resize":
        # nearest with asymmetric coordinates and floor, as PyTorch's "nearest" exports: F.interpolate's nearest
        assert at.get("mode", b"nearest") in (b"nearest", "nearest"), f"Resize mode {at.get('mode')}"
        assert at.get("coordinate_transformation_mode") in (b"asymmetric", "asymmetric"), at.get("coordinate_transformation_mode")
        assert at.get("nearest_mode") in (b"floor", "floor"), at.get("nearest_mode")
        scales = ins[2] if len(ins) > 2 and ins[2] is not None and ins[2].numel() > 0 else None
        if scales is not None:
            size = [int(ins[0].shape[d] * float(scales[d])) for d in (2, 3)]
        else:
            size = [int(v) for v in ins[3].tolist()[2:]]
        return F.interpolate(ins[0], size=size, mode="nearest")
    if op == "LayerNormalization":
        axis = at.get("axis", -1)
        axis = axis + ins[0].dim() if axis < 0 else axis
        return F.layer_norm(ins[0], ins[0].shape[axis:], ins[1], ins[2] if len(ins) > 2 else None, eps=at.get("epsilon", 1e-5))
    raise NotImplementedError(f"node {node.name}: {op}")


@torch.no_grad()
def run_onnx(proto, x):
    """Runs the graph of `proto` on the float32 tensor `x` (fed to its one input); returns its one output."""
    env = {t.name: torch.from_numpy(onnx.numpy_helper.to_array(t).copy()) for t in proto.graph.initializer}
    env[proto.graph.input[0].name] = x
    for node in proto.graph.node:  # ONNX requires topological order
        ins = [env[n] if n else None for n in node.input]
        out = _run_node(node, ins)
        for name, value in zip(node.output, out if isinstance(out, list) else [out]):
            env[name] = value
    return env[proto.graph.output[0].name]


def randomize_bn(model, seed):
    """Random affine parameters and running statistics for every BatchNorm of `model`."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                c = m.num_features
                m.weight.copy_(torch.rand(c, generator=g) + 0.5)
                m.bias.copy_(torch.randn(c, generator=g) * 0.1)
                m.running_mean.copy_(torch.randn(c, generator=g) * 0.1)
                m.running_var.copy_(torch.rand(c, generator=g) + 0.5)
    return model
