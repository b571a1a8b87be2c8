"""Reference models for "did NAS help?": trained from scratch with the searched net's recipe.

- ``random<seed>``: an architecture drawn uniformly from the same DARTS space (NNI's own
  sampler, fixed seed), at the evaluation net's width and depth: the standard NAS control.
- ``resnet20``: the CIFAR ResNet-20 of He et al. (2016), built from torchvision's BasicBlock.
- ``mobilenetv2``: torchvision's MobileNetV2 with the common CIFAR changes (stride-1 stem and
  first stride-2 stage at stride 1), so 32x32 inputs keep enough resolution.
"""
from __future__ import annotations

import re
from typing import Any

from torch import nn

FAMILIES = ("random", "resnet20", "mobilenetv2")


def control_names(models: list[str], random_seeds: list[int]) -> list[str]:
    """Config entries to control names: ``random`` becomes one ``random<seed>`` per seed."""
    names = []
    for m in models:
        names += [f"random{s}" for s in random_seeds] if m == "random" else [m]
    return names


def random_arch(seed: int) -> dict[str, Any]:
    """A uniform sample of NNI's DARTS space (every op and input choice), reproducible by seed."""
    import numpy as np
    from nni.nas.hub.pytorch import DARTS

    space = DARTS(width=4, num_cells=3, dataset="cifar")  # the cell choices do not depend on size
    rng = np.random.RandomState(seed)
    sample: dict[str, Any] = {}
    for label, mutable in space.simplify().items():
        sample[label] = mutable.random(memo=sample, random_state=rng)
    # plain str/int (NNI's labels are str subclasses), so checkpoints load with weights_only=True
    return {str(k): [int(i) for i in v] if isinstance(v, list) else str(v) for k, v in sample.items()}


def control_spec(name: str, num_classes: int, width: int, num_cells: int, auxiliary: bool,
                 drop_path: float) -> dict[str, Any]:
    """What rebuilds a control (``model.build_model``); DARTS settings apply to random archs only."""
    match = re.fullmatch(r"random(\d+)", name)
    if match:
        return {"arch": random_arch(int(match.group(1))), "width": width, "num_cells": num_cells,
                "num_classes": num_classes, "auxiliary": auxiliary, "drop_path": drop_path}
    if name in ("resnet20", "mobilenetv2"):
        return {"family": name, "num_classes": num_classes}
    raise ValueError(f"controls.models: unknown control {name!r} (one of {', '.join(FAMILIES)})")


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
