#!/usr/bin/python3
"""Exports the small PyTorch models that prune4j's ONNX tests read, with PyTorch's outputs for fixed inputs.

Writes into prune4j-core/src/test/resources/io/prune4j/onnx/ (or the folder given with --out), for every model
below, `<name>.op13.onnx` and `<name>.op17.onnx` (opsets 13 and 17; fmnist_small at 17 only) and next
to each file `<file>.json`: description, opset, torch version, input_shape, input (a batch of 3 from a
seeded standard normal, flat), output_shape, output (PyTorch's output for that input, flat), op_types.
Every float in the json is an exact float32 value (the float32 widened to a double, printed by repr),
so parsing it as a double and narrowing to float gives back the float32 bits.

All models are exported from eval mode with the input named `input`, the output `output` and a symbolic
batch dimension (dim_param "batch"). Weights are PyTorch's default initialisation after a fixed
torch.manual_seed; every BatchNorm gets random affine parameters and running statistics
(weight ~ U(0.5, 1.5), bias ~ N(0, 0.1), running_mean ~ N(0, 0.1), running_var ~ U(0.5, 1.5)) so
that BatchNorm changes the output. Unless said otherwise the export uses TrainingMode.PRESERVE, which
for a model in eval mode keeps BatchNormalization nodes (inference form, training_mode = 0).

  residual_block     conv3x3 s2 - BN - ReLU - conv3x3 - BN, plus a 1x1 stride-2 projection conv + BN
                     shortcut, Add, ReLU, global average pool, flatten, Linear -> 10. Input 3x16x16.
  inverted_residual  a stem conv + BN + ReLU6, then a MobileNetV2 block (1x1 expand + BN + ReLU6,
                     3x3 depthwise + BN + ReLU6, 1x1 project + BN, residual Add), a head (1x1 conv
                     with bias, ReLU6), global average pool, flatten, Linear. Input 3x16x16.
  concat_branches    a 1x1 conv + BN + ReLU branch (4 channels) and a 3x3 conv + BN + ReLU branch
                     (6 channels) on the same input, Concat, conv3x3 + BN + ReLU, MaxPool 2, AvgPool 2,
                     flatten, Linear. Input 3x16x16.
  ops_mix            conv with bias, ReLU6 and torch.clamp(0, 6) (Clip), MaxPool(3, 2, 1), Dropout,
                     reshape(-1, K) (Reshape with a constant shape), Linear (Gemm transB=1), ReLU,
                     x @ W + b (MatMul then Add). PyTorch 1.13 drops an eval-mode Dropout from the graph,
                     so the script inserts the inference Dropout node by hand after the export (see
                     make_ops_mix). Input 3x16x16.
  folded_bn          residual_block's network and weights, exported with TrainingMode.EVAL and constant
                     folding: BatchNorm folded into the convolutions (convs with bias, no
                     BatchNormalization node; asserted). Same input and output as residual_block.
  shared_init        parameters shared between nodes. PyTorch 1.13 de-duplicates initializers by value:
                     a second conv and BatchNorm whose parameters equal the first ones' become Identity
                     nodes reading the first one's initializers (torch 1.13 does this itself, no hand
                     editing). One 1x1 conv module is also applied twice, so its initializers feed two
                     Conv nodes directly. Input 3x16x16.
  view_softmax       conv + BN + LeakyReLU(0.1), MaxPool(3, 2, ceil_mode=True) (a partial window kept),
                     conv + BN + Hardsigmoid, x.view(x.size(0), -1) (Shape, Gather, Unsqueeze, Concat,
                     Reshape), Linear, Softmax. Input 3x11x11.
  fire_mean          SqueezeNet's fire module (1x1 squeeze + ReLU, 1x1 and 3x3 expand + ReLU, Concat),
                     MaxPool(2, 2, ceil_mode=True), conv + BN + Tanh, a conv + Sigmoid gate branch, conv +
                     BN + ELU, x.mean([2, 3]) (ReduceMean), Linear, LogSoftmax. Input 3x13x13.
  se_silu            MobileNetV3's and EfficientNet's pieces: a stem conv + BN + SiLU (nn.SiLU: Sigmoid, then Mul),
                     an inverted residual block (1x1 expand + BN + Hardswish, 3x3 depthwise + BN + Hardswish, a
                     squeeze-and-excitation as torchvision's SqueezeExcitation: adaptive average pool, fc1 1x1 conv,
                     ReLU, fc2 1x1 conv, Hardsigmoid, scale * input; 1x1 project + BN, residual Add), global average
                     pool, flatten, Linear + Hardswish + Linear. At opset 13 nn.Hardswish is x * HardSigmoid(x) (a
                     Mul), at 17 a HardSwish node. Input 3x12x12.
  shuffle_split      ShuffleNetV2's units (torchvision's layout, small): a stride-2 unit, a unit split by
                     x.chunk(2, 1) (Slice nodes with computed bounds), one split by torch.split(x, [6, 10], 1)
                     (a Split node), each a Concat and a channel shuffle (Reshape to [b, g, c/g, h, w],
                     Transpose [0, 2, 1, 3, 4], Reshape back); head conv, pool, Linear. Input 3x12x12.
  normalized_input   the input normalisation inside the model, (x / 255 - mean) / std (Div, Sub, Div by
                     constants), conv-BN-ReLU, 1x1 conv, pool, Linear, logits * 0.5 + 0.25. Input 3x10x10
                     pixels in [0, 255].
  prelu_mix          nn.PReLU with one shared slope and with one per channel, on maps and on a vector.
                     Input 3x8x8.
  convnext_mini      torchvision's ConvNeXt with two one-block stages (8 and 16 channels): LayerNorm2d as Transpose,
                     LayerNormalization, Transpose; the block's channels-last Linear layers (MatMul, Add), GELU (Div, Erf,
                     Add, Mul, Mul), layer scale. Input 3x16x16. At opset 13 each LayerNorm is nine nodes (ReduceMean, Sub,
                     Pow, ReduceMean, Add, Sqrt, Div, Mul, Add).
  convnext_original  the original ConvNeXt code's block: a LayerNorm over the channels of a channels-first map written
                     out by hand (ReduceMean over axis 1, ...), the block's channels-last nn.LayerNorm, Linear
                     layers and gamma parameter. Input 3x12x12.
  gelu_layernorm     nn.GELU and F.gelu on maps, nn.LayerNorm over a vector's features, and GELU written by hand
                     (x * 0.5 * (1 + erf(x / sqrt(2)))). Opset 17 only. Input 3x8x8.
  se_view            SENet's squeeze-and-excitation as its PyTorch code writes it (view, Linear, Sigmoid,
                     view(b, c, 1, 1), expand_as, Mul) in a residual block. Input 3x8x8.
  inception_mini     Inception v3's padding: 1x7 and 7x1 convolutions with pads (0, 3) and (3, 0), an average
                     pool with padding 1 that counts it (Pad, then AveragePool), nn.ZeroPad2d((1, 0, 2, 1)) (a Pad)
                     before a stride-2 conv. Input 3x11x10.
  activations_mix    nn.SELU, nn.CELU(0.7), nn.Softplus, nn.Mish (Softplus, Tanh, Mul) and nn.GELU(approximate='tanh')
                     after conv + BN, summed
                     branches; a SELU between two Linear layers. Input 3x8x8.
  resnet_d_shortcut  timm's ResNet-D shortcut, nn.AvgPool2d(2, 2, ceil_mode=True, count_include_pad=False), on an odd
                     map, and nn.AvgPool2d(3, 2, 1, ceil_mode=True): partial windows kept. Input 3x13x11.
  pool_idioms        global pools as hand-written models write them (view(b, c, -1).mean(-1), mean(3).mean(2), amax
                     twice, sum((2, 3)) / (h * w), squeeze(-1) twice) and a gate unsqueezed back. Input 3x7x7.
  group_norms        nn.GroupNorm(4, 8) after the stem, a residual block with nn.GroupNorm(2, 8) and nn.GroupNorm(8, 8)
                     (an instance norm), nn.InstanceNorm2d(12, affine=True) and nn.InstanceNorm2d(12) (no affine); GroupNorm
                     as PyTorch writes it: Reshape, InstanceNormalization, Shape, Reshape, Mul, Add. Input 3x8x8. (A
                     GroupNorm of a vector does not export from PyTorch 1.13.)
  dense_head         a map output, as segmentation heads and feature extractors end: stride-2 conv-BN stem,
                     a residual block, a depthwise-pointwise branch concatenated with it, a 1x1 conv head of 4
                     scores per position ([batch, 4, 4, 4]). Input 3x8x8.
  unet_mini          a U-Net: two encoder stages with max pools, a decoder that upsamples (nn.Upsample(scale_factor=2);
                     F.interpolate to the skip's size, Resize with sizes), concatenates the encoder's maps and convolves, a 1x1 head of 3
                     scores per pixel ([batch, 3, 8, 8]). Input 2x8x8. Resize as nearest, whole factors.
  fmnist_small       conv 1->8 + BN + ReLU + MaxPool 2, conv 8->16 + BN + ReLU + MaxPool 2, flatten,
                     Linear 784 -> 10, trained 2 epochs with Adam (1e-3, batch 128) on Fashion-MNIST with
                     prune4j's scaling x = (p/255 - 0.2860) / 0.3530; opset 17 only. Its json also holds
                     test_accuracy and test_loss (PyTorch's, eval mode, 10,000 test images),
                     input_scaling, and the reference input is the first 3 test images, scaled.

Every exported file is checked with onnx.checker and run through a small evaluator of the ONNX graph
(onnx_common.run_onnx, torch.nn.functional underneath; onnxruntime is not installed here) whose result
must match PyTorch's output.

Run from the repository root with Debian's PyTorch 1.13 (about a minute of CPU, most of it training
fmnist_small):
    /usr/bin/python3 scripts/onnx/make_fixtures.py [--out DIR] [--threads 2] [--only NAME,...] [--verbose]
"""

import argparse
import math
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import onnx  # noqa: E402
import onnx.helper  # noqa: E402
import onnx.numpy_helper  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import onnx_common as oc  # noqa: E402

DEFAULT_OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "prune4j-core", "src", "test", "resources", "io",
                           "prune4j", "onnx")
OPSETS = (13, 17)
MAX_BYTES = 200 * 1024


def conv_bn(cin, cout, k, stride=1, groups=1):
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout))


class ResidualBlock(nn.Module):
    def __init__(self, cin=3, c=8, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, c, 3, 2, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)
        self.proj = nn.Conv2d(cin, c, 1, 2, 0, bias=False)
        self.proj_bn = nn.BatchNorm2d(c)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c, classes)

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        y = F.relu(y + self.proj_bn(self.proj(x)))
        return self.fc(torch.flatten(self.pool(y), 1))


class InvertedResidual(nn.Module):
    def __init__(self, cin=3, c=8, expand=4, head=16, classes=10):
        super().__init__()
        hidden = c * expand
        self.stem = nn.Sequential(conv_bn(cin, c, 3), nn.ReLU6())
        self.expand = nn.Sequential(conv_bn(c, hidden, 1), nn.ReLU6())
        self.depthwise = nn.Sequential(conv_bn(hidden, hidden, 3, groups=hidden), nn.ReLU6())
        self.project = conv_bn(hidden, c, 1)
        self.head = nn.Sequential(nn.Conv2d(c, head, 1, bias=True), nn.ReLU6())
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(head, classes)

    def forward(self, x):
        x = self.stem(x)
        x = x + self.project(self.depthwise(self.expand(x)))
        return self.fc(torch.flatten(self.pool(self.head(x)), 1))


class ConcatBranches(nn.Module):
    def __init__(self, cin=3, a=4, b=6, c=8, classes=10):
        super().__init__()
        self.branch1 = nn.Sequential(conv_bn(cin, a, 1), nn.ReLU())
        self.branch3 = nn.Sequential(conv_bn(cin, b, 3), nn.ReLU())
        self.fuse = nn.Sequential(conv_bn(a + b, c, 3), nn.ReLU())
        self.maxpool = nn.MaxPool2d(2)
        # count_include_pad=False (the same values without padding): with the default True, torch 1.13
        # writes an all-zero Pad node in front of the AveragePool, even for padding 0
        self.avgpool = nn.AvgPool2d(2, count_include_pad=False)
        self.fc = nn.Linear(c * 4 * 4, classes)

    def forward(self, x):
        x = torch.cat([self.branch1(x), self.branch3(x)], dim=1)
        x = self.avgpool(self.maxpool(self.fuse(x)))
        return self.fc(torch.flatten(x, 1))


class OpsMix(nn.Module):
    """What torch 1.13 writes for each construct (opsets 13 and 17):
       nn.Conv2d(bias=True)     -> Conv with three inputs (X, W, B)
       nn.ReLU6, torch.clamp    -> Clip(x, min, max), the bounds as scalar Constant nodes (inputs, not attributes)
       nn.MaxPool2d(3, 2, 1)    -> MaxPool kernel_shape [3,3], strides [2,2], pads [1,1,1,1], ceil_mode 0
       nn.Dropout (eval)        -> nothing: the exporter removes it (the Dropout node is added afterwards by hand)
       x.reshape(-1, K)         -> Reshape(x, Constant [-1, K]) (int64); x.view(x.size(0), -1) would instead
                                   give Shape/Gather/Unsqueeze/Concat feeding Reshape, and torch.flatten Flatten
       nn.Linear                -> Gemm alpha 1, beta 1, transB 1 (weight [out, in])
       x @ W + b, W [in, out]   -> MatMul(x, W) then Add(., b)
    """

    K = 8 * 8 * 8

    def __init__(self, cin=3, c=8, hidden=16, classes=10):
        super().__init__()
        self.conv = nn.Conv2d(cin, c, 3, 1, 1, bias=True)
        self.relu6 = nn.ReLU6()
        self.conv2 = nn.Conv2d(c, c, 3, 1, 1, bias=True)
        self.pool = nn.MaxPool2d(3, 2, 1)
        self.drop = nn.Dropout(0.25)
        self.fc = nn.Linear(self.K, hidden)
        self.W = nn.Parameter(torch.randn(hidden, classes) * hidden ** -0.5)
        self.b = nn.Parameter(torch.randn(classes) * 0.1)

    def forward(self, x):
        x = self.relu6(self.conv(x))
        x = torch.clamp(self.conv2(x), 0, 6)
        x = self.drop(self.pool(x))
        x = x.reshape(-1, self.K)
        x = F.relu(self.fc(x))
        return x @ self.W + self.b


class SharedInit(nn.Module):
    def __init__(self, cin=3, c=8, classes=10):
        super().__init__()
        self.stem = nn.Sequential(conv_bn(cin, c, 3), nn.ReLU())
        self.conv_a = nn.Conv2d(c, c, 3, 1, 1, bias=False)
        self.bn_a = nn.BatchNorm2d(c)
        self.conv_b = nn.Conv2d(c, c, 3, 1, 1, bias=False)  # made equal to conv_a after init
        self.bn_b = nn.BatchNorm2d(c)  # made equal to bn_a after init
        self.blur = nn.MaxPool2d(3, 1, 1)
        self.mix = nn.Conv2d(c, c, 1, bias=True)  # one module applied to two tensors
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c, classes)

    def tie(self):
        """Copies conv_a's and bn_a's values into conv_b and bn_b (separate tensors, equal values)."""
        with torch.no_grad():
            self.conv_b.weight.copy_(self.conv_a.weight)
            for name in ("weight", "bias", "running_mean", "running_var"):
                getattr(self.bn_b, name).copy_(getattr(self.bn_a, name))
        return self

    def forward(self, x):
        s = self.stem(x)
        p = self.bn_a(self.conv_a(s))
        q = self.bn_b(self.conv_b(self.blur(s)))
        t = F.relu(p + q)
        u = F.relu(self.mix(t)) + self.mix(s)
        return self.fc(torch.flatten(self.pool(u), 1))


class ViewSoftmax(nn.Module):
    def __init__(self, cin=3, c=8, classes=10):
        super().__init__()
        self.conv1 = conv_bn(cin, c, 3)
        self.pool = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv2 = conv_bn(c, 12, 3)
        self.fc = nn.Linear(12 * 5 * 5, classes)

    def forward(self, x):
        x = self.pool(F.leaky_relu(self.conv1(x), 0.1))     # 11x11 -> 5x5 (4x4 without ceil_mode)
        x = F.hardsigmoid(self.conv2(x))  # hardswish would be x * HardSigmoid(x) (a Mul) at opset 13
        return F.softmax(self.fc(x.view(x.size(0), -1)), dim=1)


class FireMean(nn.Module):
    def __init__(self, cin=3, classes=10):
        super().__init__()
        self.squeeze = nn.Conv2d(cin, 4, 1)
        self.expand1 = nn.Conv2d(4, 6, 1)
        self.expand3 = nn.Conv2d(4, 6, 3, padding=1)
        self.pool = nn.MaxPool2d(2, 2, ceil_mode=True)
        self.conv = conv_bn(12, 8, 3)
        self.gate = nn.Conv2d(8, 8, 1)
        self.conv2 = conv_bn(8, 8, 3)
        self.fc = nn.Linear(8, classes)

    def forward(self, x):
        s = F.relu(self.squeeze(x))
        x = torch.cat([F.relu(self.expand1(s)), F.relu(self.expand3(s))], dim=1)
        x = torch.tanh(self.conv(self.pool(x)))                 # 13x13 -> 7x7 (6x6 without ceil_mode)
        x = x + torch.sigmoid(self.gate(x))
        x = F.elu(self.conv2(x))
        return F.log_softmax(self.fc(x.mean([2, 3])), dim=1)


class SqueezeExcitation(nn.Module):
    """torchvision.ops.SqueezeExcitation's computation, with MobileNetV3's Hardsigmoid gate."""

    def __init__(self, c, squeeze):
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(c, squeeze, 1)
        self.activation = nn.ReLU()
        self.fc2 = nn.Conv2d(squeeze, c, 1)
        self.scale_activation = nn.Hardsigmoid()

    def forward(self, x):
        scale = self.scale_activation(self.fc2(self.activation(self.fc1(self.avgpool(x)))))
        return scale * x


class SeSilu(nn.Module):
    def __init__(self, cin=3, c=8, expand=2, squeeze=4, hidden=16, classes=10):
        super().__init__()
        wide = c * expand
        self.stem = nn.Sequential(conv_bn(cin, c, 3), nn.SiLU())
        self.expand = nn.Sequential(conv_bn(c, wide, 1), nn.Hardswish())
        self.depthwise = nn.Sequential(conv_bn(wide, wide, 3, groups=wide), nn.Hardswish())
        self.se = SqueezeExcitation(wide, squeeze)
        self.project = conv_bn(wide, c, 1)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Sequential(nn.Linear(c, hidden), nn.Hardswish(), nn.Linear(hidden, classes))

    def forward(self, x):
        x = self.stem(x)
        x = x + self.project(self.se(self.depthwise(self.expand(x))))
        return self.head(torch.flatten(self.pool(x), 1))


def channel_shuffle(x, groups):
    """torchvision's ShuffleNetV2 channel shuffle: view as [b, g, c/g, h, w], swap the two channel axes, view back."""
    b, c, h, w = x.size()
    x = x.view(b, groups, c // groups, h, w)
    x = torch.transpose(x, 1, 2).contiguous()
    return x.view(b, -1, h, w)


class ShuffleSplit(nn.Module):
    """ShuffleNetV2's units, small: a stride-2 unit (two branches on the whole input), a unit that
       splits with x.chunk(2, 1) (torch 1.13 writes two Slice nodes whose bounds come from Shape, Gather,
       Add, Div and Mul), one that splits unevenly with torch.split(x, [6, 10], 1) (a Split node), each
       ending in a concat and a channel shuffle (Reshape to rank 5, Transpose, Reshape back)."""

    def __init__(self, cin=3, c=8, head=24, classes=10):
        super().__init__()
        self.stem = nn.Sequential(conv_bn(cin, c, 3), nn.ReLU())
        self.down1 = nn.Sequential(conv_bn(c, c, 3, 2, groups=c), conv_bn(c, c, 1), nn.ReLU())
        self.down2 = nn.Sequential(conv_bn(c, c, 1), nn.ReLU(), conv_bn(c, c, 3, 2, groups=c), conv_bn(c, c, 1), nn.ReLU())
        self.basic = nn.Sequential(conv_bn(c, c, 1), nn.ReLU(), conv_bn(c, c, 3, groups=c), conv_bn(c, c, 1), nn.ReLU())
        self.uneven = nn.Sequential(conv_bn(2 * c - 6, 2 * c - 6, 1), nn.ReLU())
        self.head = nn.Sequential(conv_bn(2 * c, head, 1), nn.ReLU())
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(head, classes)

    def forward(self, x):
        x = self.stem(x)
        x = channel_shuffle(torch.cat([self.down1(x), self.down2(x)], 1), 2)
        a, b = x.chunk(2, dim=1)
        x = channel_shuffle(torch.cat([a, self.basic(b)], 1), 2)
        a, b = torch.split(x, [6, 10], dim=1)
        x = channel_shuffle(torch.cat([a, self.uneven(b)], 1), 4)
        return self.fc(torch.flatten(self.pool(self.head(x)), 1))


class NormalizedInput(nn.Module):
    """A model that carries its input normalisation: (x / 255 - mean) / std per channel (Div by a scalar,
       Sub and Div by [1, 3, 1, 1] buffers), conv-BN-ReLU, a 1x1 conv, global average pool, Linear, and
       a temperature and offset on the logits (Mul and Add of scalars on [batch, classes])."""

    def __init__(self, cin=3, c=6, classes=10):
        super().__init__()
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1))
        self.stem = nn.Sequential(conv_bn(cin, c, 3), nn.ReLU())
        self.mix = nn.Conv2d(c, c, 1)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c, classes)

    def forward(self, x):
        x = (x / 255.0 - self.mean) / self.std
        x = self.mix(self.stem(x))
        return self.fc(torch.flatten(self.pool(x), 1)) * 0.5 + 0.25


class PReluMix(nn.Module):
    """nn.PReLU in its two forms: one slope shared by every channel (nn.PReLU()) and one per channel
       (nn.PReLU(C)), on feature maps and on the vector after the pool; the slopes drawn at random so that
       each differs from PyTorch's default 0.25."""

    def __init__(self, cin=3, c=6, hidden=8, classes=10):
        super().__init__()
        self.stem = conv_bn(cin, c, 3)
        self.act1 = nn.PReLU()
        self.conv = nn.Conv2d(c, c, 3, padding=1)
        self.act2 = nn.PReLU(c)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Linear(c, hidden)
        self.act3 = nn.PReLU(hidden)
        self.fc2 = nn.Linear(hidden, classes)
        with torch.no_grad():
            for a in (self.act1, self.act2, self.act3):
                a.weight.uniform_(-0.5, 0.8)

    def forward(self, x):
        x = self.act2(self.conv(self.act1(self.stem(x))))
        return self.fc2(self.act3(self.fc1(torch.flatten(self.pool(x), 1))))


class SeView(nn.Module):
    """The squeeze-and-excitation block as SENet's PyTorch code writes it: pool, y.view(b, c), Linear (no
       bias) - ReLU - Linear (no bias) - Sigmoid, y.view(b, c, 1, 1), x * y.expand_as(x) (Reshape back to a
       one-pixel map, Expand, Mul), inside a residual block with BatchNorm."""

    def __init__(self, cin=3, c=8, r=4, classes=10):
        super().__init__()
        self.stem = nn.Sequential(conv_bn(cin, c, 3), nn.ReLU())
        self.body = nn.Sequential(conv_bn(c, c, 3), nn.ReLU(), conv_bn(c, c, 3))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Sequential(nn.Linear(c, c // r, bias=False), nn.ReLU(), nn.Linear(c // r, c, bias=False), nn.Sigmoid())
        self.head = nn.Linear(c, classes)

    def forward(self, x):
        x = self.stem(x)
        y = self.body(x)
        b, c, _, _ = y.size()
        s = self.fc(self.pool(y).view(b, c)).view(b, c, 1, 1)
        x = F.relu(x + y * s.expand_as(y))
        return self.head(torch.flatten(self.pool(x), 1))


def convnext_mini(classes=10):
    """torchvision's own ConvNeXt, two stages of one block (8 and 16 channels): stem conv 4x4 s4 + LayerNorm2d,
       a CNBlock (7x7 depthwise, permute to channels-last, LayerNorm, Linear 4x, GELU, Linear, permute back,
       layer scale, residual Add), downsampling (LayerNorm2d, conv 2x2 s2), a second CNBlock, average pool,
       LayerNorm2d, Flatten, Linear. LayerNorm weights ~ U(0.5, 1.5) and biases ~ N(0, 0.1), layer scales ~
       U(0.5, 1.5) (torchvision's 1e-6 would hide the blocks)."""
    from torchvision.models.convnext import CNBlockConfig, ConvNeXt
    model = ConvNeXt([CNBlockConfig(8, 16, 1), CNBlockConfig(16, None, 1)], stochastic_depth_prob=0.0, num_classes=classes)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("layer_scale"):
                p.uniform_(0.5, 1.5)
        for m in model.modules():
            if isinstance(m, nn.LayerNorm):
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0, 0.1)
    return model


class GeluLayerNorm(nn.Module):
    """nn.GELU on maps (Div, Erf, Add, Mul, Mul), a head with nn.LayerNorm over the features of a vector and
       GELU written by hand as x * 0.5 * (1 + erf(x / sqrt(2))) (the Mul by 0.5 first)."""

    def __init__(self, cin=3, c=6, hidden=12, classes=10):
        super().__init__()
        self.stem = nn.Sequential(conv_bn(cin, c, 3), nn.GELU())
        self.conv = nn.Conv2d(c, c, 3, padding=1)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Linear(c, hidden)
        self.norm = nn.LayerNorm(hidden)
        self.fc2 = nn.Linear(hidden, classes)
        with torch.no_grad():
            self.norm.weight.uniform_(0.5, 1.5)
            self.norm.bias.normal_(0, 0.1)

    def forward(self, x):
        x = F.gelu(self.conv(self.stem(x)))
        h = self.norm(self.fc1(torch.flatten(self.pool(x), 1)))
        h = h * 0.5 * (1.0 + torch.erf(h / math.sqrt(2.0)))
        return self.fc2(h)


class LayerNormFirst(nn.Module):
    """The channels-first LayerNorm of the original ConvNeXt code (and of many models that copy it):
       u = x.mean(1, keepdim=True); s = (x - u).pow(2).mean(1, keepdim=True); (x - u) / sqrt(s + eps),
       then weight[:, None, None] * x + bias[:, None, None]; written out by hand, so every opset gets
       the nine nodes."""

    def __init__(self, c, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(c).uniform_(0.5, 1.5))
        self.bias = nn.Parameter(torch.empty(c).normal_(0, 0.1))
        self.eps = eps

    def forward(self, x):
        u = x.mean(1, keepdim=True)
        s = (x - u).pow(2).mean(1, keepdim=True)
        x = (x - u) / torch.sqrt(s + self.eps)
        return self.weight[:, None, None] * x + self.bias[:, None, None]


class ConvNextOriginal(nn.Module):
    """A block as the original ConvNeXt code writes it: 7x7 depthwise conv, permute to channels-last,
       nn.LayerNorm, Linear 4x, nn.GELU, Linear, gamma * x (a parameter, channels-last), permute back,
       residual; a channels-first LayerNorm (LayerNormFirst) after the stem and before the head."""

    def __init__(self, cin=3, c=8, classes=10):
        super().__init__()
        self.stem = nn.Conv2d(cin, c, 2, stride=2)
        self.norm0 = LayerNormFirst(c)
        self.dw = nn.Conv2d(c, c, 7, padding=3, groups=c)
        self.norm = nn.LayerNorm(c, eps=1e-6)
        self.pw1 = nn.Linear(c, 4 * c)
        self.act = nn.GELU()
        self.pw2 = nn.Linear(4 * c, c)
        self.gamma = nn.Parameter(torch.empty(c).uniform_(0.5, 1.5))
        self.norm1 = LayerNormFirst(c)
        self.head = nn.Linear(c, classes)
        with torch.no_grad():
            self.norm.weight.uniform_(0.5, 1.5)
            self.norm.bias.normal_(0, 0.1)

    def forward(self, x):
        x = self.norm0(self.stem(x))
        y = self.dw(x).permute(0, 2, 3, 1)
        y = self.gamma * self.pw2(self.act(self.pw1(self.norm(y))))
        x = self.norm1(x + y.permute(0, 3, 1, 2))
        return self.head(x.mean([-2, -1]))


class InceptionMini(nn.Module):
    """Inception v3's padding, small: BasicConv2d (conv without bias, BN eps 0.001, ReLU) throughout; a
    block of a 1x1 branch, a 1x7 (pads 0, 3) then 7x1 (pads 3, 0) branch and an average-pool branch
    (F.avg_pool2d(3, 1, 1), counting the padding: Pad then AveragePool), Concat; nn.ZeroPad2d((1, 0, 2, 1))
    before a 3x3 stride-2 conv; a head of global average pool, Flatten, Linear."""

    def __init__(self, cin=3, c=8, classes=10):
        super().__init__()

        def basic(i, o, k, **kw):
            return nn.Sequential(nn.Conv2d(i, o, k, bias=False, **kw), nn.BatchNorm2d(o, eps=0.001), nn.ReLU())
        self.stem = basic(cin, c, 3, padding=1)
        self.branch1 = basic(c, 4, 1)
        self.branch7 = nn.Sequential(basic(c, 4, 1), basic(4, 4, (1, 7), padding=(0, 3)), basic(4, 6, (7, 1), padding=(3, 0)))
        self.branch_pool = basic(c, 4, 1)
        self.pad = nn.ZeroPad2d((1, 0, 2, 1))
        self.reduce = basic(14, 8, 3, stride=2)
        self.fc = nn.Linear(8, classes)

    def forward(self, x):
        x = self.stem(x)
        pool = self.branch_pool(F.avg_pool2d(x, 3, 1, 1))
        x = torch.cat([self.branch1(x), self.branch7(x), pool], 1)
        x = self.reduce(self.pad(x))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class ActivationsMix(nn.Module):
    """nn.SELU, nn.CELU(0.7), nn.Softplus, nn.Mish and nn.GELU(approximate="tanh") after convolutions with
    BatchNorm, each on its own branch, summed; a head of global average pool, Flatten, Linear, SELU, Linear."""

    def __init__(self, cin=3, c=6, classes=10):
        super().__init__()
        self.stem = nn.Sequential(conv_bn(cin, c, 3), nn.SELU())
        self.a = nn.Sequential(conv_bn(c, c, 3), nn.CELU(0.7))
        self.b = nn.Sequential(conv_bn(c, c, 1), nn.Softplus())
        self.m = nn.Sequential(conv_bn(c, c, 3), nn.Mish())
        self.t = nn.Sequential(conv_bn(c, c, 1), nn.GELU(approximate="tanh"))
        self.fc1 = nn.Linear(c, 8)
        self.fc2 = nn.Linear(8, classes)

    def forward(self, x):
        x = self.stem(x)
        x = self.a(x) + self.b(x) + self.m(x) + self.t(x)
        return self.fc2(F.selu(self.fc1(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))))


class ResNetDShortcut(nn.Module):
    """timm's ResNet-D block on an odd map: a 3x3 stride-2 conv branch and the shortcut
    nn.AvgPool2d(2, 2, ceil_mode=True, count_include_pad=False) then 1x1 conv-BN, added; then
    nn.AvgPool2d(3, 2, 1, ceil_mode=True) (the padding counted); head of global average pool, Linear."""

    def __init__(self, cin=3, c=8, classes=10):
        super().__init__()
        self.stem = nn.Sequential(conv_bn(cin, c, 3), nn.ReLU())
        self.branch = nn.Sequential(nn.Conv2d(c, c, 3, 2, 1, bias=False), nn.BatchNorm2d(c))
        self.down = nn.Sequential(nn.AvgPool2d(2, 2, ceil_mode=True, count_include_pad=False), conv_bn(c, c, 1))
        self.pool = nn.AvgPool2d(3, 2, 1, ceil_mode=True)
        self.fc = nn.Linear(c, classes)

    def forward(self, x):
        x = self.stem(x)
        x = F.relu(self.branch(x) + self.down(x))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(self.pool(x), 1), 1))


class PoolIdioms(nn.Module):
    """Global pools as hand-written models write them, each on its own branch of one conv-BN-ReLU map:
    x.view(b, c, -1).mean(-1), torch.flatten(x, 2).max(2)[0], x.mean(3).mean(2), x.amax(3, keepdim=True)
    .amax(2, keepdim=True) squeezed twice, x.sum((2, 3)) / (h * w), F.adaptive_avg_pool2d(x, 1).squeeze(-1)
    .squeeze(-1); summed, and a gate y[:, :, None, None] and y.unsqueeze(-1).unsqueeze(-1) on the map."""

    def __init__(self, cin=3, c=6, classes=10):
        super().__init__()
        self.stem = nn.Sequential(conv_bn(cin, c, 3), nn.ReLU())
        self.gate = nn.Linear(c, c)
        self.conv = nn.Sequential(conv_bn(c, c, 3), nn.ReLU())
        self.fc = nn.Linear(c, classes)

    def forward(self, x):
        x = self.stem(x)
        b, c, h, w = x.shape
        y = torch.sigmoid(self.gate(x.view(b, c, -1).mean(-1)))
        x = self.conv(x * y[:, :, None, None] + x * y.unsqueeze(-1).unsqueeze(-1))
        p = torch.flatten(x, 2).max(2)[0] + x.mean(3).mean(2) + x.amax(3, keepdim=True).amax(2, keepdim=True).squeeze(3).squeeze(2)
        p = p + x.sum((2, 3)) / (h * w) + F.adaptive_avg_pool2d(x, 1).squeeze(-1).squeeze(-1)
        return self.fc(p)


class GroupNorms(nn.Module):
    """GroupNorm and InstanceNorm2d as models without batch statistics use them: a conv-GroupNorm(4, 8)-ReLU stem, a
    residual block conv-GroupNorm(2, 8)-ReLU-conv-GroupNorm(8, 8) with an identity shortcut, conv-InstanceNorm2d(12,
    affine=True)-ReLU, conv-InstanceNorm2d(12)-ReLU, a global average pool, Linear-ReLU, Linear."""

    def __init__(self, cin=3, classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(cin, 8, 3, padding=1), nn.GroupNorm(4, 8), nn.ReLU())
        self.conv1 = nn.Conv2d(8, 8, 3, padding=1, bias=False)
        self.gn1 = nn.GroupNorm(2, 8)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1, bias=False)
        self.gn2 = nn.GroupNorm(8, 8)
        self.head = nn.Sequential(nn.Conv2d(8, 12, 3, stride=2, padding=1), nn.InstanceNorm2d(12, affine=True), nn.ReLU(),
                                  nn.Conv2d(12, 12, 3, padding=1), nn.InstanceNorm2d(12), nn.ReLU())
        self.fc1 = nn.Linear(12, 16)
        self.fc2 = nn.Linear(16, classes)
        g = torch.Generator().manual_seed(1120)
        with torch.no_grad():
            for m in self.modules():
                if isinstance(m, (nn.GroupNorm, nn.InstanceNorm2d)) and m.weight is not None:
                    m.weight.copy_(torch.rand(m.weight.shape, generator=g) + 0.5)
                    m.bias.copy_(torch.randn(m.bias.shape, generator=g) * 0.2)

    def forward(self, x):
        x = self.stem(x)
        x = F.relu(x + self.gn2(self.conv2(F.relu(self.gn1(self.conv1(x))))))
        x = self.head(x).mean((2, 3))
        return self.fc2(F.relu(self.fc1(x)))


class DenseHead(nn.Module):
    """A model whose output is a map, as segmentation heads and feature extractors end: a stride-2
    conv-BN stem, a residual block, a depthwise-pointwise branch concatenated with the block's
    output, and a 1x1 conv head giving 4 scores per position ([batch, 4, 4, 4] for a 3x8x8 input)."""

    def __init__(self, cin=3, classes=4):
        super().__init__()
        self.stem = conv_bn(cin, 8, 3, stride=2)
        self.block = nn.Sequential(conv_bn(8, 8, 3), nn.Conv2d(8, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8))
        self.branch = nn.Sequential(conv_bn(8, 8, 3, groups=8), conv_bn(8, 6, 1))
        self.head = nn.Conv2d(14, classes, 1)

    def forward(self, x):
        x = self.stem(x)
        y = F.relu(x + self.block(x))
        return self.head(torch.cat([y, self.branch(y)], 1))


class UnetMini(nn.Module):
    """A U-Net, small: an encoder of two conv-BN-ReLU stages with a max pool between, a decoder that
    upsamples (nn.Upsample(scale_factor=2), and F.interpolate to the skip's size: Resize with sizes),
    concatenates the encoder's map of that size and convolves, and a 1x1 head of 3 scores per pixel
    ([batch, 3, 8, 8] for a 2x8x8 input)."""

    def __init__(self, cin=2, classes=3):
        super().__init__()
        self.enc1 = nn.Sequential(conv_bn(cin, 6, 3), nn.ReLU())
        self.enc2 = nn.Sequential(nn.MaxPool2d(2), conv_bn(6, 8, 3), nn.ReLU())
        self.bottom = nn.Sequential(nn.MaxPool2d(2), conv_bn(8, 8, 3), nn.ReLU())
        self.up1 = nn.Upsample(scale_factor=2)
        self.dec1 = nn.Sequential(conv_bn(16, 8, 3), nn.ReLU())
        self.dec2 = nn.Sequential(conv_bn(14, 6, 3), nn.ReLU())
        self.head = nn.Conv2d(6, classes, 1)

    def forward(self, x):
        e1 = self.enc1(x)
        e2 = self.enc2(e1)
        y = self.dec1(torch.cat([self.up1(self.bottom(e2)), e2], 1))
        y = F.interpolate(y, size=e1.shape[2:], mode="nearest")
        return self.head(self.dec2(torch.cat([y, e1], 1)))


class FmnistSmall(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, 1, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2))
        self.fc = nn.Linear(16 * 7 * 7, classes)

    def forward(self, x):
        return self.fc(torch.flatten(self.features(x), 1))


def seeded_input(shape, seed):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


# --- checks on the exported graphs ---------------------------------------------------------------

def consumers(proto, name):
    return [n for n in proto.graph.node if name in n.input]


def check_bn_kept(proto):
    ops = oc.op_types(proto)
    assert "BatchNormalization" in ops, ops
    for n in proto.graph.node:
        if n.op_type == "BatchNormalization":
            assert len(n.output) == 1, f"{n.name}: training-form BatchNormalization"


def check_folded(proto):
    ops = oc.op_types(proto)
    assert "BatchNormalization" not in ops, ops
    for n in proto.graph.node:
        if n.op_type == "Conv":
            assert len(n.input) == 3, f"{n.name}: a folded convolution should have a bias"


def check_shared(proto):
    inits = {t.name for t in proto.graph.initializer}
    identities = [n for n in proto.graph.node if n.op_type == "Identity"]
    assert identities, "torch did not de-duplicate the equal initializers"
    for n in identities:
        assert n.input[0] in inits, f"{n.name}: Identity of a non-initializer"
        # the initializer is read both directly and through the Identity
        assert len(consumers(proto, n.input[0])) >= 2, n.input[0]
    assert any(len([c for c in consumers(proto, i) if c.op_type == "Conv"]) >= 2 for i in inits), \
        "no initializer feeds two Conv nodes directly"


def check_ops(proto, required):
    missing = set(required) - set(oc.op_types(proto))
    assert not missing, f"missing {sorted(missing)} in {oc.op_types(proto)}"


def insert_inference_dropout(proto, after_op, ratio):
    """Puts an inference-mode Dropout (ratio as a float initializer, no training_mode input, which
    means false) on the output of the first `after_op` node, where nn.Dropout sat in the module."""
    g = proto.graph
    idx = next(i for i, n in enumerate(g.node) if n.op_type == after_op)
    src = g.node[idx].output[0]
    dst = "/drop/Dropout_output_0"
    for n in g.node:
        for j, name in enumerate(n.input):
            if name == src:
                n.input[j] = dst
    g.initializer.append(onnx.numpy_helper.from_array(torch.tensor(ratio, dtype=torch.float32).numpy(), "drop.ratio"))
    g.node.insert(idx + 1, onnx.helper.make_node("Dropout", [src, "drop.ratio"], [dst], name="/drop/Dropout"))
    return proto


# --- export, check, reference ----------------------------------------------------------------------

def export_all(name, model, x, description, out, opsets=OPSETS, training=torch.onnx.TrainingMode.PRESERVE,
               check=None, edit=None, verbose=False, extra=None, summary=None):
    model.eval()
    with torch.no_grad():
        y = model(x)
    for opset in opsets:
        path = os.path.join(out, f"{name}.op{opset}.onnx")
        proto = oc.export(model, x, path, opset, training=training)
        if edit is not None:
            proto = edit(proto)
            onnx.checker.check_model(proto)
            onnx.save(proto, path)
        oc.check_symbolic_batch(proto)
        if check is not None:
            check(proto)
        got = oc.run_onnx(proto, x)
        diff = (got - y).abs().max().item()
        assert got.shape == y.shape and torch.allclose(got, y, rtol=1e-4, atol=1e-5), f"{path}: off by {diff}"
        size = os.path.getsize(path)
        assert size < MAX_BYTES, f"{path}: {size} bytes"
        ops = oc.op_types(proto)
        oc.write_reference(path + ".json", x, y, opset, description, op_types=ops, **(extra or {}))
        if verbose:
            print(onnx.helper.printable_graph(proto.graph))
        print(f"{os.path.basename(path)}: {size} bytes, max |onnx - torch| {diff:.2e}, ops {ops}", flush=True)
        if summary is not None:
            summary.append((os.path.basename(path), size, ops))


def train_fmnist_small(epochs=2, batch=128, seed=1):
    train_x, train_y = oc.load_fmnist("train")
    test_x, test_y = oc.load_fmnist("test")
    torch.manual_seed(seed)
    model = FmnistSmall()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(seed)
    t0 = time.perf_counter()
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(train_x.shape[0], generator=g)
        for i in range(0, train_x.shape[0], batch):
            idx = order[i:i + batch]
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(model(train_x[idx]), train_y[idx]).backward()
            opt.step()
        acc, loss = oc.evaluate(model, test_x, test_y)
        print(f"fmnist_small epoch {epoch + 1}: test accuracy {acc:.4f}, loss {loss:.4f}", flush=True)
    seconds = time.perf_counter() - t0
    acc, loss = oc.evaluate(model, test_x, test_y)
    return model.eval(), test_x[:3].clone(), test_y[:3].tolist(), acc, loss, seconds, epochs


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=DEFAULT_OUT, help="output folder (default: prune4j-core/src/test/resources/io/prune4j/onnx)")
    p.add_argument("--threads", type=int, default=2, help="PyTorch threads (default: 2)")
    p.add_argument("--only", default="", help="comma-separated model names to make (default: all)")
    p.add_argument("--verbose", action="store_true", help="print every exported graph")
    args = p.parse_args()
    oc.set_threads(args.threads)
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    only = set(filter(None, args.only.split(",")))

    def want(name):
        return not only or name in only

    summary = []
    common = dict(out=out, verbose=args.verbose, summary=summary)

    if want("residual_block") or want("folded_bn"):
        torch.manual_seed(101)
        model = oc.randomize_bn(ResidualBlock(), 1101).eval()
        x = seeded_input((3, 3, 16, 16), 2101)
        if want("residual_block"):
            export_all("residual_block", model, x,
                       "conv3x3 s2-BN-ReLU-conv3x3-BN + 1x1 s2 projection conv-BN, Add, ReLU, GlobalAveragePool, "
                       "Flatten, Gemm; BatchNorm kept (PRESERVE)", check=check_bn_kept, **common)
        if want("folded_bn"):
            export_all("folded_bn", model, x,
                       "residual_block's network and weights exported with TrainingMode.EVAL and constant folding: "
                       "BatchNorm folded into the convolutions (convs with bias)",
                       training=torch.onnx.TrainingMode.EVAL, check=check_folded, **common)

    if want("inverted_residual"):
        torch.manual_seed(102)
        model = oc.randomize_bn(InvertedResidual(), 1102).eval()
        export_all("inverted_residual", model, seeded_input((3, 3, 16, 16), 2102),
                   "stem conv-BN-ReLU6, MobileNetV2 block (1x1 expand-BN-ReLU6, 3x3 depthwise-BN-ReLU6, 1x1 project-BN, "
                   "residual Add), 1x1 head conv with bias + ReLU6, GlobalAveragePool, Flatten, Gemm; ReLU6 as Clip",
                   check=lambda m: (check_bn_kept(m), check_ops(m, {"Clip", "Add", "Conv"})), **common)

    if want("concat_branches"):
        torch.manual_seed(103)
        model = oc.randomize_bn(ConcatBranches(), 1103).eval()
        export_all("concat_branches", model, seeded_input((3, 3, 16, 16), 2103),
                   "1x1 conv-BN-ReLU (4 ch) and 3x3 conv-BN-ReLU (6 ch) branches, Concat on channels, conv3x3-BN-ReLU, "
                   "MaxPool 2, AveragePool 2, Flatten, Gemm",
                   check=lambda m: (check_bn_kept(m), check_ops(m, {"Concat", "MaxPool", "AveragePool", "Flatten"})),
                   **common)

    if want("ops_mix"):
        torch.manual_seed(104)
        model = OpsMix().eval()
        export_all("ops_mix", model, seeded_input((3, 3, 16, 16), 2104),
                   "conv with bias, ReLU6 and clamp(0,6) as Clip, MaxPool(3,2,1), inference Dropout (inserted by hand "
                   "after the export: torch drops it in eval mode), Reshape to [-1, 512] with a Constant shape, "
                   "Gemm transB=1, Relu, MatMul + Add",
                   edit=lambda m: insert_inference_dropout(m, "MaxPool", 0.25),
                   check=lambda m: check_ops(m, {"Conv", "Clip", "MaxPool", "Dropout", "Reshape", "Constant", "Gemm",
                                                 "Relu", "MatMul", "Add"}), **common)

    if want("shared_init"):
        torch.manual_seed(105)
        model = oc.randomize_bn(SharedInit(), 1105).tie().eval()
        export_all("shared_init", model, seeded_input((3, 3, 16, 16), 2105),
                   "initializers shared: conv_b and bn_b equal conv_a and bn_a, which torch de-duplicates into Identity "
                   "nodes on conv_a's and bn_a's initializers; one 1x1 conv applied twice (its initializers feed two "
                   "Conv nodes)", check=shared_checks, **common)

    if want("view_softmax"):
        torch.manual_seed(106)
        model = oc.randomize_bn(ViewSoftmax(), 1106).eval()
        export_all("view_softmax", model, seeded_input((3, 3, 11, 11), 2106),
                   "conv-BN-LeakyReLU(0.1), MaxPool(3, 2, ceil_mode=True), conv-BN-HardSigmoid, x.view(x.size(0), -1) as "
                   "Shape/Gather/Unsqueeze/Concat/Reshape, Gemm, Softmax",
                   check=lambda m: check_ops(m, {"LeakyRelu", "MaxPool", "HardSigmoid", "Shape", "Gather", "Unsqueeze",
                                                 "Concat", "Reshape", "Softmax"}), **common)

    if want("fire_mean"):
        torch.manual_seed(107)
        model = oc.randomize_bn(FireMean(), 1107).eval()
        export_all("fire_mean", model, seeded_input((3, 3, 13, 13), 2107),
                   "fire module (squeeze 1x1, expand 1x1 and 3x3, Concat), MaxPool(2, 2, ceil_mode=True), conv-BN-Tanh, "
                   "+ Sigmoid(conv) gate (an Add), conv-BN-Elu, x.mean([2, 3]) as ReduceMean, Gemm, LogSoftmax",
                   check=lambda m: check_ops(m, {"Concat", "MaxPool", "Tanh", "Sigmoid", "Elu", "ReduceMean",
                                                 "LogSoftmax"}), **common)

    if want("se_silu"):
        torch.manual_seed(108)
        model = oc.randomize_bn(SeSilu(), 1108).eval()
        export_all("se_silu", model, seeded_input((3, 3, 12, 12), 2108),
                   "conv-BN-SiLU (Sigmoid, Mul), inverted residual block: 1x1 expand-BN-Hardswish, 3x3 depthwise-BN-Hardswish, "
                   "squeeze-and-excitation (GlobalAveragePool, 1x1 conv, Relu, 1x1 conv, HardSigmoid, Mul of the gate and the "
                   "map), 1x1 project-BN, residual Add; GlobalAveragePool, Flatten, Gemm, Hardswish, Gemm. Hardswish is "
                   "x * HardSigmoid(x) at opset 13 and HardSwish at 17",
                   check=check_se_silu, **common)

    if want("shuffle_split"):
        torch.manual_seed(109)
        model = oc.randomize_bn(ShuffleSplit(), 1109).eval()
        export_all("shuffle_split", model, seeded_input((3, 3, 12, 12), 2109),
                   "ShuffleNetV2 units: stem conv-BN-ReLU; a stride-2 unit (3x3 depthwise s2-BN, 1x1-BN-ReLU | 1x1-BN-ReLU, "
                   "depthwise s2-BN, 1x1-BN-ReLU), Concat, channel shuffle (Reshape to rank 5, Transpose, Reshape); x.chunk(2, 1) "
                   "as two Slice nodes, a branch on the second half, Concat, shuffle; torch.split(x, [6, 10], 1) as Split, "
                   "1x1-BN-ReLU on the second part, Concat, shuffle in 4 groups; 1x1 head conv-BN-ReLU, GlobalAveragePool, "
                   "Flatten, Gemm",
                   check=lambda m: (check_bn_kept(m), check_ops(m, {"Slice", "Split", "Transpose", "Reshape", "Div",
                                                                    "Concat"})), **common)

    if want("normalized_input"):
        torch.manual_seed(110)
        model = oc.randomize_bn(NormalizedInput(), 1110).eval()
        x = (seeded_input((3, 3, 10, 10), 2110) * 60 + 128).clamp(0, 255)
        export_all("normalized_input", model, x,
                   "input normalisation inside the model: (x / 255 - mean) / std (Div by a scalar, Sub and Div by [1, 3, 1, 1] "
                   "constants), conv-BN-ReLU, 1x1 conv with bias, GlobalAveragePool, Flatten, Gemm, logits * 0.5 + 0.25 (Mul and "
                   "Add of scalars); input: pixels in [0, 255]",
                   check=lambda m: check_ops(m, {"Div", "Sub", "Mul", "Add", "Conv"}), **common)

    if want("prelu_mix"):
        torch.manual_seed(111)
        model = oc.randomize_bn(PReluMix(), 1111).eval()
        export_all("prelu_mix", model, seeded_input((3, 3, 8, 8), 2111),
                   "conv-BN-PReLU() (one slope), conv with bias-PReLU(6) (a slope per channel), GlobalAveragePool, Flatten, "
                   "Gemm, PReLU(8) on the vector, Gemm; slopes drawn from U(-0.5, 0.8)",
                   check=lambda m: check_ops(m, {"PRelu", "Conv", "Gemm"}), **common)

    if want("se_view"):
        torch.manual_seed(112)
        model = oc.randomize_bn(SeView(), 1112).eval()
        export_all("se_view", model, seeded_input((3, 3, 8, 8), 2112),
                   "SENet's squeeze-and-excitation in a residual block: GlobalAveragePool, view(b, c) (Reshape), MatMul-Relu-"
                   "MatMul-Sigmoid, view(b, c, 1, 1) (Reshape to a one-pixel map), expand_as (Expand), Mul, Add, Relu; head "
                   "GlobalAveragePool, Flatten, Gemm",
                   check=lambda m: (check_bn_kept(m), check_ops(m, {"Expand", "Reshape", "MatMul", "Sigmoid", "Mul"})), **common)

    if want("convnext_mini"):
        torch.manual_seed(113)
        export_all("convnext_mini", convnext_mini().eval(), seeded_input((3, 3, 16, 16), 2113),
                   "torchvision's ConvNeXt, two stages of one block: stem Conv 4x4 s4, LayerNorm2d (Transpose, "
                   "LayerNormalization, Transpose), CNBlock (depthwise 7x7, Transpose to channels-last, LayerNormalization, "
                   "MatMul-Add, GELU as Div-Erf-Add-Mul-Mul, MatMul-Add, Transpose back, Mul by the layer scale, Add), "
                   "downsampling (LayerNorm2d, Conv 2x2 s2), CNBlock, GlobalAveragePool, LayerNorm2d, Flatten, Gemm. At opset "
                   "13 each LayerNorm is ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div, Mul, Add",
                   check=lambda m: check_ops(m, {"Transpose", "MatMul", "Erf", "Mul"}), **common)

    if want("gelu_layernorm"):
        torch.manual_seed(114)
        model = oc.randomize_bn(GeluLayerNorm(), 1114).eval()
        export_all("gelu_layernorm", model, seeded_input((3, 3, 8, 8), 2114),
                   "conv-BN-GELU (nn.GELU: Div, Erf, Add, Mul, Mul), conv with bias, F.gelu, GlobalAveragePool, Flatten, Gemm, "
                   "LayerNorm over the 12 features (LayerNormalization at opset 17), GELU by hand x * 0.5 * (1 + erf(x / sqrt(2))) "
                   "(the Mul by 0.5 first), Gemm",
                   opsets=(17,), check=lambda m: check_ops(m, {"Erf", "LayerNormalization"}), **common)

    if want("convnext_original"):
        torch.manual_seed(115)
        export_all("convnext_original", ConvNextOriginal().eval(), seeded_input((3, 3, 12, 12), 2115),
                   "a block as the original ConvNeXt code writes it: stem Conv 2x2 s2, a channels-first LayerNorm written out "
                   "(ReduceMean over axis 1, Sub, Pow, ReduceMean, Add, Sqrt, Div, Mul by weight[:, None, None], Add), depthwise "
                   "7x7, Transpose to channels-last, LayerNorm, MatMul-Add, GELU, MatMul-Add, Mul by gamma (channels-last), "
                   "Transpose back, Add, the channels-first LayerNorm again, ReduceMean over [-2, -1], Gemm",
                   check=lambda m: check_ops(m, {"ReduceMean", "Pow", "Sqrt", "Erf", "Transpose"}), **common)

    if want("inception_mini"):
        torch.manual_seed(116)
        model = oc.randomize_bn(InceptionMini(), 1116).eval()
        export_all("inception_mini", model, seeded_input((3, 3, 11, 10), 2116),
                   "Inception v3's padding: conv-BN-ReLU stem; a 1x1 branch, a 1x7 (pads 0, 3) then 7x1 (pads 3, 0) branch, "
                   "and F.avg_pool2d(3, 1, 1) (Pad, then AveragePool) before a 1x1 conv, Concat; nn.ZeroPad2d((1, 0, 2, 1)) "
                   "(a Pad) before a 3x3 stride-2 conv; GlobalAveragePool, Flatten, Gemm",
                   check=lambda m: (check_bn_kept(m), check_ops(m, {"Pad", "AveragePool", "Concat"})), **common)

    if want("activations_mix"):
        torch.manual_seed(117)
        model = oc.randomize_bn(ActivationsMix(), 1117).eval()
        export_all("activations_mix", model, seeded_input((3, 3, 8, 8), 2117),
                   "conv-BN-SELU stem; branches conv-BN-CELU(0.7), conv-BN-Softplus, conv-BN-Mish (Softplus, Tanh, Mul below "
                   "opset 18), conv-BN-GELU(approximate='tanh') (nine nodes below opset 20), Add; GlobalAveragePool, Flatten, "
                   "Gemm, Selu, Gemm",
                   check=lambda m: check_ops(m, {"Selu", "Celu", "Softplus", "Tanh", "Mul"}), **common)

    if want("resnet_d_shortcut"):
        torch.manual_seed(118)
        model = oc.randomize_bn(ResNetDShortcut(), 1118).eval()
        export_all("resnet_d_shortcut", model, seeded_input((3, 3, 13, 11), 2118),
                   "timm's ResNet-D block on a 13x11 map: conv 3x3 s2-BN | AvgPool2d(2, 2, ceil_mode=True, "
                   "count_include_pad=False) then 1x1 conv-BN, Add, ReLU; AvgPool2d(3, 2, 1, ceil_mode=True); "
                   "GlobalAveragePool, Flatten, Gemm",
                   check=lambda m: (check_bn_kept(m), check_ops(m, {"AveragePool", "Add"})), **common)

    if want("pool_idioms"):
        torch.manual_seed(119)
        model = oc.randomize_bn(PoolIdioms(), 1119).eval()
        export_all("pool_idioms", model, seeded_input((3, 3, 7, 7), 2119),
                   "global pools written by hand: view(b, c, -1).mean(-1) (Reshape, ReduceMean), flatten(2).max(2) (ReduceMax), "
                   "mean(3).mean(2), amax(3, keepdim) then amax(2, keepdim) squeezed twice, sum((2, 3)) / (h * w) (ReduceSum, "
                   "Div), adaptive_avg_pool2d(x, 1).squeeze(-1).squeeze(-1); a gate y[:, :, None, None] and "
                   "y.unsqueeze(-1).unsqueeze(-1) (Unsqueeze) on the map",
                   check=lambda m: check_ops(m, {"Reshape", "ReduceMean", "ReduceMax", "ReduceSum", "Squeeze", "Unsqueeze"}), **common)

    if want("group_norms"):
        torch.manual_seed(120)
        model = GroupNorms().eval()
        export_all("group_norms", model, seeded_input((3, 3, 8, 8), 2120),
                   "GroupNorm(4, 8) stem, a residual block with GroupNorm(2, 8) and GroupNorm(8, 8), InstanceNorm2d(12, "
                   "affine=True), InstanceNorm2d(12); GroupNorm as Reshape, "
                   "InstanceNormalization, Shape, Reshape, Mul, Add",
                   check=lambda m: check_ops(m, {"InstanceNormalization", "Reshape", "Shape", "Mul", "Add"}), **common)

    if want("dense_head"):
        torch.manual_seed(121)
        model = DenseHead().eval()
        export_all("dense_head", model, seeded_input((3, 3, 8, 8), 2121),
                   "a map output ([batch, 4, 4, 4]): stride-2 conv-BN stem, residual block, depthwise-pointwise branch, concat, 1x1 head",
                   check=lambda m: check_ops(m, {"Conv", "BatchNormalization", "Concat", "Add"}), **common)

    if want("unet_mini"):
        torch.manual_seed(122)
        model = UnetMini().eval()
        export_all("unet_mini", model, seeded_input((3, 2, 8, 8), 2122),
                   "a U-Net: encoder, max pools, nn.Upsample(scale_factor=2) and F.interpolate(size=...), skip concatenations, "
                   "a map output [batch, 3, 8, 8]",
                   check=lambda m: check_ops(m, {"Resize", "Concat", "MaxPool"}), **common)

    if want("fmnist_small"):
        model, x, labels, acc, loss, seconds, epochs = train_fmnist_small()
        print(f"fmnist_small: test accuracy {acc:.4f}, loss {loss:.4f}, {seconds:.0f} s", flush=True)
        export_all("fmnist_small", model, x,
                   "conv1->8-BN-ReLU-MaxPool2, conv8->16-BN-ReLU-MaxPool2, Flatten, Gemm 784->10, trained in PyTorch on "
                   "Fashion-MNIST (Adam 1e-3, batch 128); input: the first 3 test images, scaled; output: logits",
                   opsets=(17,), check=check_bn_kept,
                   extra=dict(test_accuracy=acc, test_loss=loss, test_examples=10000, input_scaling=oc.INPUT_SCALING,
                              labels=labels, epochs=epochs, train_seconds=round(seconds, 1)), **common)

    total = sum(os.path.getsize(os.path.join(out, f)) for f in os.listdir(out))
    print(f"{len(summary)} ONNX files written; {out} holds {total} bytes in all", flush=True)


def check_se_silu(proto):
    check_bn_kept(proto)
    opset = next(o.version for o in proto.opset_import if o.domain in ("", "ai.onnx"))
    check_ops(proto, {"Sigmoid", "Mul", "HardSigmoid", "GlobalAveragePool", "Add"} | ({"HardSwish"} if opset >= 14 else set()))
    if opset < 14:
        assert "HardSwish" not in oc.op_types(proto), "nn.Hardswish should be x * HardSigmoid(x) before opset 14"


def shared_checks(proto):
    check_bn_kept(proto)
    check_shared(proto)


if __name__ == "__main__":
    main()
