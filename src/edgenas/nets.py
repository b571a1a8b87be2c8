"""The hand-designed nets the study compares the searched ones with.

- ``resnet20``: the CIFAR ResNet-20 of He et al. (2016), built from torchvision's BasicBlock.
- ``mobilenetv2_cifar``: torchvision's MobileNetV2 with the common CIFAR changes (stride-1 stem
  and first stride-2 stage at stride 1), so 32x32 inputs keep enough resolution.
- ``airbench94``: the network of Keller Jordan's airbench94, the fastest CIFAR-10 trainer on
  record (94 % in 9.9 epochs with its own recipe on a GPU): a 2x2 patch-whitening convolution
  with frozen weights, three conv-pool-BN-GELU groups at 64/256/256 channels, batch-norm scales
  frozen.
"""
from __future__ import annotations

import torch
from torch import nn


def resnet20(num_classes: int) -> nn.Module:
    """3 stages of 3 basic blocks at 16/32/64 channels (0.27M parameters for 10 classes)."""
    from torchvision.models.resnet import BasicBlock, conv1x1

    layers: list[nn.Module] = [nn.Conv2d(3, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(inplace=True)]
    channels = 16
    for width, stride in [(16, 1), (32, 2), (64, 2)]:
        for block in range(3):
            s = stride if block == 0 else 1
            down = None
            if s != 1 or channels != width:
                down = nn.Sequential(conv1x1(channels, width, s), nn.BatchNorm2d(width))
            layers.append(BasicBlock(channels, width, s, down))
            channels = width
    net = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, num_classes))
    for m in net.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
    return net


def mobilenetv2_cifar(num_classes: int) -> nn.Module:
    """torchvision's MobileNetV2 (width 1.0) for 32x32 inputs: stem and second stage at stride 1."""
    from torchvision.models import MobileNetV2

    setting = [[1, 16, 1, 1], [6, 24, 2, 1], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2],
               [6, 320, 1, 1]]
    net = MobileNetV2(num_classes=num_classes, inverted_residual_setting=setting)
    net.features[0][0].stride = (1, 1)
    return net


def _airbench_conv(cin: int, cout: int, kernel: int = 3, padding: int | str = "same", bias: bool = False) -> nn.Conv2d:
    """airbench's convolution: its first ``cin`` filters start as the identity (dirac)."""
    conv = nn.Conv2d(cin, cout, kernel, padding=padding, bias=bias)
    with torch.no_grad():
        nn.init.dirac_(conv.weight[:cin])
        if bias:
            conv.bias.zero_()
    return conv


def _airbench_norm(channels: int) -> nn.BatchNorm2d:
    """airbench's batch norm: fast-moving statistics, scale frozen at 1, bias learned."""
    norm = nn.BatchNorm2d(channels, eps=1e-12, momentum=0.4)
    norm.weight.requires_grad_(False)
    return norm


class Whitening(nn.Conv2d):
    """airbench's first layer: a 2x2 convolution whose frozen filters whiten the image patches
    (``whiten_first_layer``); only its bias trains, and the recipe may freeze that too
    (``train.whiten_bias_epochs``). A class of its own, so the trainer finds it by type."""

    def __init__(self, cin: int, cout: int):
        super().__init__(cin, cout, 2, padding=0, bias=True)
        self.weight.requires_grad_(False)
        with torch.no_grad():
            self.bias.zero_()  # airbench's convolutions start without bias


class _Scale(nn.Module):
    def __init__(self, factor: float):
        super().__init__()
        self.factor = factor

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.factor


def airbench94(num_classes: int) -> nn.Module:
    """airbench94's published network (lib_airbench94.make_net94: 1.97M parameters for 10 classes).
    Its final 3x3 max-pool is a global max-pool (the same on 32x32 inputs; any size then works).
    ``whiten_first_layer`` sets the frozen first layer from training images before training."""
    def group(cin: int, cout: int) -> nn.Sequential:
        return nn.Sequential(_airbench_conv(cin, cout), nn.MaxPool2d(2), _airbench_norm(cout), nn.GELU(),
                             _airbench_conv(cout, cout), _airbench_norm(cout), nn.GELU())

    return nn.Sequential(Whitening(3, 24), nn.GELU(), group(24, 64), group(64, 256), group(256, 256),
                         nn.AdaptiveMaxPool2d(1), nn.Flatten(), nn.Linear(256, num_classes, bias=False),
                         _Scale(1 / 9))


def whiten_first_layer(net: nn.Sequential, images: torch.Tensor, eps: float = 5e-4) -> None:
    """airbench's whitening initialisation: the first layer's filters are the eigenvectors of the
    covariance of the images' 2x2 patches, scaled to unit variance, each with its negation
    (so the GELU after it keeps both signs). ``images``: normalised, (N, 3, H, W)."""
    layer = net[0]
    c, (h, w) = images.shape[1], layer.weight.shape[2:]
    patches = images.float().unfold(2, h, 1).unfold(3, w, 1).transpose(1, 3).reshape(-1, c * h * w)
    values, vectors = torch.linalg.eigh(patches.T @ patches / len(patches))
    values, vectors = values.flip(0).view(-1, 1, 1, 1), vectors.T.reshape(c * h * w, c, h, w).flip(0)
    scaled = vectors / torch.sqrt(values + eps)
    with torch.no_grad():
        layer.weight.copy_(torch.cat((scaled, -scaled)))
