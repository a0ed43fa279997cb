"""prune4j's `--arch resnet` (Models.resnet) in PyTorch, shared by benchmarks/torch_resnet.py (training
speed) and scripts/onnx/train_fmnist_resnet.py (the ResNet trained in PyTorch for the ONNX figures).

A 3x3 stem convolution with BatchNorm and ReLU, three stages of basic residual blocks (width, 2*width,
4*width channels; the first block of stages 2 and 3 halves the resolution and has a 1x1 projection
shortcut with BatchNorm), global average pooling and a Dense classifier; convolutions before a
BatchNorm have no bias. Import it after setting the thread environment variables: it imports torch.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, 0, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + (x if self.down is None else self.down(x)))


class ResNet(nn.Module):
    def __init__(self, width, depth, classes=10):
        super().__init__()
        self.stem = nn.Conv2d(1, width, 3, 1, 1, bias=False)
        self.bn = nn.BatchNorm2d(width)
        blocks = []
        cin = width
        for stage in range(3):
            cout = width << stage
            for b in range(depth):
                blocks.append(Block(cin, cout, 2 if stage > 0 and b == 0 else 1))
                cin = cout
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        x = F.relu(self.bn(self.stem(x)))
        x = self.blocks(x)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))
