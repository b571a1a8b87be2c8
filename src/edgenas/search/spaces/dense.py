"""A search space of dense convolution groups: airbench94's skeleton, searched for a latency budget.

airbench94 (Keller Jordan), the fastest CIFAR-10 trainer on record, runs one convolution at full
resolution and pools early: three groups, each a 3x3 convolution, a 2x2 max-pool, batch norm,
activation, a second 3x3 convolution, batch norm, activation. On a 2-core CPU such nets train
3-5x more images per second than MobileNetV2-style nets of a third of their MACs (depthwise
convolutions and many full-resolution layers are slow to train there), and their dense INT8
convolutions are what VNNI CPUs and the Pi 5's dot-product instructions run fastest.

Searched: the stem's width, each group's width and depth (a second, residual group of two
convolutions at the group's resolution may follow the first). A 3x3 stem stands in for
airbench94's 2x2 whitening layer and global average pooling for its max-pool, so every layer is
one the workflow's pruner and quantizer already handle (``spaces.mobile``'s ``DenseBlock``).

The same interface as ``spaces.mobile``: an NNI model space (``space``), ``build_net``,
``Architecture`` (whose ``layers`` the latency table sums), ``space_layers`` (the table's rows),
``settings`` and ``space_size``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from . import frozen
from .mobile import DENSE_KERNEL, Block, DenseBlock, Layer, Stage, _conv_bn, initialise

STEM_WIDTHS = (16, 24, 32)
# airbench94's groups are 64 / 256 / 256 wide; its net is 2-3x over the default budget on the CPUs measured
STAGES = (
    Stage((32, 48, 64, 96), 2, 2, expansions=(1,)),
    Stage((64, 96, 128, 192, 256), 2, 2, expansions=(1,)),
    Stage((96, 128, 192, 256), 2, 2, expansions=(1,)),
)
BLOCK = Block("dense", 1, DENSE_KERNEL)


def _space_class(stem_widths: tuple[int, ...] = STEM_WIDTHS, stages: tuple[Stage, ...] = STAGES):
    """The NNI model space over these widths (``spaces.pruned`` narrows them)."""
    import nni
    from nni.nas.nn.pytorch import ModelSpace, MutableLinear, Repeat

    class DenseSpace(ModelSpace):
        def __init__(self, num_classes: int = 10):
            super().__init__()
            stem = nni.choice("stem_width", list(stem_widths))
            self.stem = _conv_bn(3, stem, 3)
            groups, cin = [], stem
            for i, stage in enumerate(stages):
                cout = nni.choice(f"s{i}_width", list(stage.widths))

                def block(j, stage=stage, cin=cin, cout=cout):
                    return DenseBlock(cin if j == 0 else cout, cout, 1, DENSE_KERNEL, stage.stride if j == 0 else 1,
                                      residual=j > 0)

                groups.append(Repeat(block, (1, stage.max_depth), label=f"s{i}_depth"))
                cin = cout
            self.blocks = nn.Sequential(*groups)
            self.pool = nn.AdaptiveAvgPool2d(1)
            self.classifier = MutableLinear(cin, num_classes)
            initialise(self)

        def forward(self, x):
            return self.classifier(torch.flatten(self.pool(self.blocks(self.stem(x))), 1))

    return DenseSpace


def space(num_classes: int = 10):
    """The supernet: every choice open (NNI ``ModelSpace``)."""
    return _space_class()(num_classes)


def build_net(arch: dict[str, Any], *, num_classes: int, stem_widths: tuple[int, ...] = STEM_WIDTHS,
              stages: tuple[Stage, ...] = STAGES) -> nn.Module:
    """One architecture of the space as a plain PyTorch net (Conv2d, MaxPool2d, BatchNorm2d, ReLU6, Linear)."""
    return frozen(_space_class(stem_widths, stages), arch, num_classes=num_classes)


@dataclass(frozen=True)
class Architecture:
    """A net of the space, in ``spaces.mobile.Architecture``'s shape: stem width, per group its
    width and blocks, and no last 1x1 convolution (``head_width`` 0)."""

    stem_width: int
    stages: tuple[tuple[int, tuple[Block, ...]], ...]
    head_width: int = 0

    @classmethod
    def from_arch(cls, arch: dict[str, Any], *, stem_widths: tuple[int, ...] = STEM_WIDTHS,
                  stages: tuple[Stage, ...] = STAGES) -> "Architecture":
        groups = []
        for i, stage in enumerate(stages):
            width, depth = int(arch[f"s{i}_width"]), int(arch[f"s{i}_depth"])
            if width not in stage.widths or not 1 <= depth <= stage.max_depth:
                raise ValueError(f"group {i}: width {width} or depth {depth} is not in the space")
            groups.append((width, (BLOCK,) * depth))
        stem = int(arch["stem_width"])
        if stem not in stem_widths:
            raise ValueError(f"stem_width {stem} is not in the space ({stem_widths})")
        return cls(stem, tuple(groups))

    def layers(self, image_size: int, num_classes: int) -> list[Layer]:
        """Every layer with its input resolution, in order."""
        res, cin = image_size, self.stem_width
        out = [Layer("stem", 3, cin, res, kernel=3)]
        for stage, (width, blocks) in zip(STAGES, self.stages):
            for j, _ in enumerate(blocks):
                stride = stage.stride if j == 0 else 1
                out.append(Layer("dense", cin, width, res, 1, DENSE_KERNEL, stride, residual=j > 0))
                res, cin = -(-res // stride), width
        out.append(Layer("classifier", cin, num_classes, res))
        return out


def space_layers(image_size: int, num_classes: int, *, stem_widths: tuple[int, ...] = STEM_WIDTHS,
                 stages: tuple[Stage, ...] = STAGES) -> list[Layer]:
    """Every layer configuration any net of the space can contain: the latency table's rows."""
    layers = {Layer("stem", 3, w, image_size, kernel=3) for w in stem_widths}
    res, inputs = image_size, set(stem_widths)
    for stage in stages:
        out_res = -(-res // stage.stride)
        for cout in stage.widths:
            layers |= {Layer("dense", cin, cout, res, 1, DENSE_KERNEL, stage.stride) for cin in inputs}
            layers.add(Layer("dense", cout, cout, out_res, 1, DENSE_KERNEL, 1, residual=True))
        res, inputs = out_res, set(stage.widths)
    layers |= {Layer("classifier", w, num_classes, res) for w in inputs}
    return sorted(layers, key=lambda layer: layer.key)


def settings(num_classes: int, *, stem_widths: tuple[int, ...] = STEM_WIDTHS,
             stages: tuple[Stage, ...] = STAGES) -> dict[str, Any]:
    """What the space offers, for genotype.json and the report."""
    return {"stem_widths": list(stem_widths), "dense_kernel": DENSE_KERNEL, "block_types": ["dense"],
            "stages": [{"widths": list(s.widths), "max_depth": s.max_depth, "stride": s.stride} for s in stages],
            "num_classes": num_classes}


def space_size(*, stem_widths: tuple[int, ...] = STEM_WIDTHS, stages: tuple[Stage, ...] = STAGES) -> int:
    """The number of distinct nets in the space."""
    total = len(stem_widths)
    for stage in stages:
        total *= len(stage.widths) * stage.max_depth
    return total
