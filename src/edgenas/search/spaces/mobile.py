"""A search space made for edge CPUs: MobileNetV2's inverted-residual blocks at CIFAR strides.

The skeleton is MobileNetV2 for 32x32 inputs (stem at stride 1, seven stages, the first
stride-2 stage moved to stride 1). Searched: the stem's and each stage's width, each stage's
depth (a block past the first can be skipped, so depth shrinks), each block's type, kernel
and expansion ratio, and the width of the last 1x1 convolution. A block is MobileNetV2's
inverted residual (``mbconv``: 1x1 expansion, depthwise kxk, 1x1 projection), its fused
form (``fused``, EfficientNetV2 and MobileDets: a full kxk expansion, 1x1 projection), or
airbench94's dense group (``dense``: two full 3x3 convolutions, a max-pool where the stage
strides), which do more MACs but on dense kernels: ONNX Runtime's INT8 depthwise kernel gains
little over FP32 on x86 (no VNNI), its dense INT8 convolutions gain 2-3x (VNNI CPUs and the Pi
5's dot-product instructions run them fastest), and which wins where is a question of the
target's measured latency. Expanded channels are multiples of 16 (the INT8
depthwise fast path); widths are multiples of 16 or MobileNetV2's own (24), and
MobileNetV2-CIFAR (``MOBILENETV2``) is a point of the space.

It is an NNI model space (``MobileSpace``): SPOS trains it as a weight-sharing supernet,
``build_net`` freezes one architecture into a plain PyTorch net, and ``block_modules`` builds
every layer configuration on its own for the latency table, from the same classes.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from . import frozen

STEM_WIDTHS = (16, 32)
HEAD_WIDTHS = (640, 1280)
KERNELS = (3, 5)
EXPANSIONS = (3, 6)
FUSED_KERNEL = 3  # EfficientNetV2's fused blocks are 3x3; a full 5x5 expansion costs 25x the MACs of 1x1
DENSE_KERNEL = 3  # airbench94's convolutions


@dataclass(frozen=True)
class Stage:
    widths: tuple[int, ...]
    max_depth: int
    stride: int
    expansions: tuple[int, ...] = EXPANSIONS


# MobileNetV2's (t, c, n, s) = (1,16,1,1) (6,24,2,1) (6,32,3,2) (6,64,4,2) (6,96,3,1) (6,160,3,2) (6,320,1,1),
# each c among its stage's widths and each n its maximum depth
STAGES = (
    Stage((16,), 1, 1, expansions=(1,)),
    Stage((16, 24), 2, 1),
    Stage((16, 32), 3, 2),
    Stage((32, 48, 64), 4, 2),
    Stage((48, 64, 96), 3, 1),
    Stage((96, 128, 160), 3, 2),
    Stage((160, 320), 1, 1),
)

# MobileNetV2-CIFAR (nets.mobilenetv2_cifar) as an architecture of this space
MOBILENETV2: dict[str, Any] = {
    "stem_width": 32, "head_width": 1280,
    **{f"s{i}_width": max(stage.widths) for i, stage in enumerate(STAGES)},
    **{f"s{i}_depth": stage.max_depth for i, stage in enumerate(STAGES)},
    **{f"s{i}_b{j}_exp": max(stage.expansions) for i, stage in enumerate(STAGES) for j in range(stage.max_depth)},
    **{f"s{i}_b{j}_k": 3 for i, stage in enumerate(STAGES) for j in range(stage.max_depth)},
    **{f"s{i}_b{j}_type": "mbconv" for i, stage in enumerate(STAGES) for j in range(stage.max_depth) if i > 0},
}


def hidden_channels(width: int, expansion: int) -> int:
    """Expanded channels: a multiple of 16 (ONNX Runtime's INT8 depthwise fast path)."""
    return max(16, math.ceil(width * expansion / 16) * 16)


def _conv_bn(cin, cout, kernel: int | Any = 1, stride: int = 1, groups=1, relu: bool = True) -> nn.Sequential:
    from nni.nas.nn.pytorch import MutableBatchNorm2d, MutableConv2d

    layers = [MutableConv2d(cin, cout, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False),
              MutableBatchNorm2d(cout)]
    return nn.Sequential(*layers, nn.ReLU6(inplace=True)) if relu else nn.Sequential(*layers)


def _hidden(cin, expansion):
    """``hidden_channels`` for plain ints or NNI choices (then an expression of them)."""
    from nni.mutable import MutableExpression

    product = cin * expansion
    if isinstance(product, int):
        return hidden_channels(cin, expansion)
    return MutableExpression.max(16, (product + 15) // 16 * 16)


class MBConv(nn.Module):
    """MobileNetV2's inverted residual: 1x1 expansion (none at expansion 1), kxk depthwise, 1x1
    projection without activation, plus the input for every block of a stage but its first
    (MobileNetV2's rule, decided by position so the supernet and its nets agree). Widths,
    expansion and kernel may be NNI choices."""

    def __init__(self, cin, cout, expansion, kernel, stride: int, residual: bool):
        super().__init__()
        plain = isinstance(expansion, int) and expansion == 1  # no 1x1 expansion (MobileNetV2's first block)
        hidden = cin if plain else _hidden(cin, expansion)
        self.expand = None if plain else _conv_bn(cin, hidden)
        self.depthwise = _conv_bn(hidden, hidden, kernel, stride, groups=hidden)
        self.project = _conv_bn(hidden, cout, relu=False)
        self.residual = residual

    def forward(self, x):
        out = self.project(self.depthwise(self.expand(x) if self.expand is not None else x))
        return x + out if self.residual else out


class FusedMBConv(nn.Module):
    """The fused inverted residual: kxk full convolution to the expanded width, 1x1 projection
    without activation, plus the input as in ``MBConv``."""

    def __init__(self, cin, cout, expansion, kernel, stride: int, residual: bool):
        super().__init__()
        self.expand = _conv_bn(cin, _hidden(cin, expansion), kernel, stride)
        self.project = _conv_bn(_hidden(cin, expansion), cout, relu=False)
        self.residual = residual

    def forward(self, x):
        out = self.project(self.expand(x))
        return x + out if self.residual else out


class DenseBlock(nn.Module):
    """airbench94's group as a block (no expansion): a full kxk convolution to the stage's width,
    a max-pool where the stage strides (in place of a strided convolution, as airbench94 does),
    batch norm and activation, then a second kxk convolution, batch norm and activation; plus
    the input as in ``MBConv``. ``expansion`` is accepted for a uniform signature and unused."""

    def __init__(self, cin, cout, expansion, kernel, stride: int, residual: bool):
        super().__init__()
        from nni.nas.nn.pytorch import MutableBatchNorm2d, MutableConv2d

        pool = [nn.MaxPool2d(stride, ceil_mode=True)] if stride > 1 else []  # ceil: a conv's output size
        self.first = nn.Sequential(MutableConv2d(cin, cout, kernel, 1, (kernel - 1) // 2, bias=False), *pool,
                                   MutableBatchNorm2d(cout), nn.ReLU6(inplace=True))
        self.second = _conv_bn(cout, cout, kernel)
        self.residual = residual

    def forward(self, x):
        out = self.second(self.first(x))
        return x + out if self.residual else out


BLOCKS = {"mbconv": MBConv, "fused": FusedMBConv, "dense": DenseBlock}
# the kernel a block type is built with (absent: the block's own choice among KERNELS)
FIXED_KERNEL = {"fused": FUSED_KERNEL, "dense": DENSE_KERNEL}


def initialise(net: nn.Module) -> nn.Module:
    """torchvision's MobileNetV2 initialisation (He-normal convolutions, fan-out; small normal
    classifier), and a zero scale on the last batch norm of each residual block, so every block
    starts as the identity: without it, deep samples of the supernet diverge at SPOS's rates."""
    for m in net.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out")
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0, 0.01)
            nn.init.zeros_(m.bias)
    for m in net.modules():
        if isinstance(m, (MBConv, FusedMBConv)) and m.residual:
            nn.init.zeros_(m.project[1].weight)
        elif isinstance(m, DenseBlock) and m.residual:
            nn.init.zeros_(m.second[1].weight)  # ReLU6 of zero: the block adds nothing at first
    return net


def _space_class():
    import nni
    from nni.nas.nn.pytorch import LayerChoice, ModelSpace, MutableLinear, Repeat

    class MobileSpace(ModelSpace):
        def __init__(self, num_classes: int = 10):
            super().__init__()
            stem = nni.choice("stem_width", list(STEM_WIDTHS))
            self.stem = _conv_bn(3, stem, 3)
            blocks, cin = [], stem
            for i, stage in enumerate(STAGES):
                cout = nni.choice(f"s{i}_width", list(stage.widths)) if len(stage.widths) > 1 else stage.widths[0]

                def block(j, i=i, stage=stage, cin=cin, cout=cout):
                    args = dict(cin=cin if j == 0 else cout, cout=cout, kernel=nni.choice(f"s{i}_b{j}_k", list(KERNELS)),
                                stride=stage.stride if j == 0 else 1, residual=j > 0)
                    if len(stage.expansions) == 1:  # MobileNetV2's first block: depthwise and projection only
                        return MBConv(expansion=stage.expansions[0], **args)
                    exp = nni.choice(f"s{i}_b{j}_exp", list(stage.expansions))
                    return LayerChoice({kind: cls(expansion=exp, **dict(args, kernel=FIXED_KERNEL.get(kind, args["kernel"])))
                                        for kind, cls in BLOCKS.items()}, label=f"s{i}_b{j}_type")

                blocks.append(Repeat(block, (1, stage.max_depth), label=f"s{i}_depth") if stage.max_depth > 1
                              else block(0))
                cin = cout
            self.blocks = nn.Sequential(*blocks)
            head = nni.choice("head_width", list(HEAD_WIDTHS))
            self.head = _conv_bn(cin, head)
            self.pool = nn.AdaptiveAvgPool2d(1)
            self.classifier = MutableLinear(head, num_classes)
            initialise(self)

        def forward(self, x):
            return self.classifier(torch.flatten(self.pool(self.head(self.blocks(self.stem(x)))), 1))

    return MobileSpace


def space(num_classes: int = 10):
    """The supernet: every choice open (NNI ``ModelSpace``)."""
    return _space_class()(num_classes)


def build_net(arch: dict[str, Any], *, num_classes: int) -> nn.Module:
    """One architecture of the space as a plain PyTorch net (Conv2d, BatchNorm2d, ReLU6, Linear)."""
    return frozen(_space_class(), arch, num_classes=num_classes)


@dataclass(frozen=True)
class Layer:
    """One layer configuration of a net of this space at a given input resolution: what the
    latency table measures and sums."""

    kind: str  # stem, a block type of BLOCKS, head or classifier
    cin: int
    cout: int
    resolution: int  # input height and width
    expansion: int = 1
    kernel: int = 1
    stride: int = 1
    residual: bool = False

    @property
    def key(self) -> str:
        return (f"{self.kind}:{self.cin}>{self.cout}@{self.resolution}:e{self.expansion}k{self.kernel}"
                f"s{self.stride}{'r' if self.residual else ''}")

    def module(self) -> nn.Module:
        """The layer on its own, built from the classes the space uses."""
        if self.kind == "stem":
            return _conv_bn(self.cin, self.cout, 3)
        if self.kind in BLOCKS:
            return BLOCKS[self.kind](self.cin, self.cout, self.expansion, self.kernel, self.stride, self.residual)
        if self.kind == "head":
            return _conv_bn(self.cin, self.cout)
        from nni.nas.nn.pytorch import MutableLinear

        return nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(1), MutableLinear(self.cin, self.cout))


@dataclass(frozen=True)
class Block:
    type: str  # a block type of BLOCKS (dense: expansion 1)
    expansion: int
    kernel: int


def _block(arch: dict[str, Any], i: int, j: int, stage: Stage) -> Block:
    if len(stage.expansions) == 1:
        return Block("mbconv", stage.expansions[0], int(arch[f"s{i}_b{j}_k"]))
    kind = str(arch[f"s{i}_b{j}_type"])
    if kind not in BLOCKS:
        raise ValueError(f"s{i}_b{j}_type: {kind!r} is not a block type ({', '.join(BLOCKS)})")
    kernel = FIXED_KERNEL.get(kind) or int(arch[f"s{i}_b{j}_k"])
    return Block(kind, 1 if kind == "dense" else int(arch[f"s{i}_b{j}_exp"]), kernel)


@dataclass(frozen=True)
class Architecture:
    """A net of the space: stem width, per stage its width and blocks, head width."""

    stem_width: int
    stages: tuple[tuple[int, tuple[Block, ...]], ...]  # (width, blocks) per stage
    head_width: int

    @classmethod
    def from_arch(cls, arch: dict[str, Any]) -> "Architecture":
        stages = []
        for i, stage in enumerate(STAGES):
            depth = int(arch.get(f"s{i}_depth", stage.max_depth)) if stage.max_depth > 1 else 1
            width = int(arch[f"s{i}_width"]) if len(stage.widths) > 1 else stage.widths[0]
            if width not in stage.widths or not 1 <= depth <= stage.max_depth:
                raise ValueError(f"stage {i}: width {width} or depth {depth} is not in the space")
            blocks = tuple(_block(arch, i, j, stage) for j in range(depth))
            stages.append((width, blocks))
        return cls(int(arch["stem_width"]), tuple(stages), int(arch["head_width"]))

    def layers(self, image_size: int, num_classes: int) -> list[Layer]:
        """Every layer with its input resolution, in order."""
        res, cin = image_size, self.stem_width
        out = [Layer("stem", 3, cin, res, kernel=3)]
        for stage, (width, blocks) in zip(STAGES, self.stages):
            for j, b in enumerate(blocks):
                stride = stage.stride if j == 0 else 1
                out.append(Layer(b.type, cin, width, res, b.expansion, b.kernel, stride, residual=j > 0))
                res, cin = -(-res // stride), width
        out.append(Layer("head", cin, self.head_width, res))
        out.append(Layer("classifier", self.head_width, num_classes, res))
        return out


def space_layers(image_size: int, num_classes: int) -> list[Layer]:
    """Every layer configuration any net of the space can contain: the latency table's rows."""
    layers = {Layer("stem", 3, w, image_size, kernel=3) for w in STEM_WIDTHS}
    res, inputs = image_size, set(STEM_WIDTHS)
    for stage in STAGES:
        types = BLOCKS if len(stage.expansions) > 1 else ("mbconv",)
        out_res = -(-res // stage.stride)
        for cout in stage.widths:
            for kind in types:
                for e in (1,) if kind == "dense" else stage.expansions:
                    for k in (FIXED_KERNEL[kind],) if kind in FIXED_KERNEL else KERNELS:
                        layers |= {Layer(kind, cin, cout, res, e, k, stage.stride) for cin in inputs}
                        if stage.max_depth > 1:
                            layers.add(Layer(kind, cout, cout, out_res, e, k, 1, residual=True))
        res, inputs = out_res, set(stage.widths)
    layers |= {Layer("head", cin, w, res) for cin in inputs for w in HEAD_WIDTHS}
    layers |= {Layer("classifier", w, num_classes, res) for w in HEAD_WIDTHS}
    return sorted(layers, key=lambda layer: layer.key)


def settings(num_classes: int) -> dict[str, Any]:
    """What the space offers, for genotype.json and the report."""
    return {"stem_widths": list(STEM_WIDTHS), "head_widths": list(HEAD_WIDTHS), "kernels": list(KERNELS),
            "fused_kernel": FUSED_KERNEL, "dense_kernel": DENSE_KERNEL, "block_types": list(BLOCKS),
            "stages": [{"widths": list(s.widths), "max_depth": s.max_depth, "stride": s.stride,
                        "expansions": list(s.expansions)} for s in STAGES],
            "num_classes": num_classes}


def space_size() -> int:
    """The number of distinct nets in the space."""
    per_block = len(KERNELS) * len(EXPANSIONS) + len(EXPANSIONS) + 1  # mbconv: kernel x expansion; fused: expansion; dense
    total = len(STEM_WIDTHS) * len(HEAD_WIDTHS)
    for stage in STAGES:
        choices = len(KERNELS) if len(stage.expansions) == 1 else per_block
        total *= len(stage.widths) * sum(choices ** d for d in range(1, stage.max_depth + 1))
    return total
