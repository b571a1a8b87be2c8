"""Search spaces: what an architecture dict means, and the net it builds.

Each space module parses NNI's architecture dict once into a small typed structure that
the model, the figures and the report walk (as the DARTS reference code's ``Genotype``).
"""
from __future__ import annotations

import re
from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING, Any

from ...registry import HARDWARE_AWARE_SPACES

if TYPE_CHECKING:  # the workflow imports this registry while parsing; torch loads only with a space
    from torch import nn

# The spaces searched under a target's latency budget (the latency table, the halving search, random
# controls): each module has space, build_net, Architecture, space_layers, settings and space_size.
HARDWARE_AWARE = HARDWARE_AWARE_SPACES


# The shapes pruning gives the dense space's nets (``spaces.pruned``): the dense space pruned by a share of
# every group's channels, rounded to a multiple: "dense@0.25/16"
PRUNED = re.compile(r"dense@([0-9]*\.?[0-9]+)/([0-9]+)")


def pruned_space_name(ratio: float, round_to: int) -> str:
    """The name of the dense space pruned by ``ratio`` of every group's channels, rounded to ``round_to``."""
    return f"dense@{ratio:g}/{round_to}"


def is_hardware_aware(name: str) -> bool:
    """A ``search.space`` of HARDWARE_AWARE, or a pruned-shape space (the space searched at the final
    model's latency)."""
    return name in HARDWARE_AWARE or PRUNED.fullmatch(name) is not None


def hardware_aware(name: str) -> ModuleType:
    """The module of a hardware-aware space by its ``search.space`` name, or a pruned-shape space
    (``spaces.pruned.PrunedShapes``, with the same interface) by its name."""
    match = PRUNED.fullmatch(name)
    if match:
        return import_module(f"{__name__}.pruned").PrunedShapes(float(match.group(1)), int(match.group(2)))
    if name not in HARDWARE_AWARE:
        raise ValueError(f"{name!r} is not a hardware-aware search space (one of {', '.join(HARDWARE_AWARE)})")
    return import_module(f"{__name__}.{name}")


def frozen(space_class: type, arch: dict[str, Any], *, num_classes: int) -> nn.Module:
    """One architecture of an NNI model space as a plain PyTorch net: every choice fixed by ``arch``,
    so it trains, prunes and exports like any ``nn.Module``."""
    from nni.nas.space import model_context

    with model_context(arch):
        return space_class(num_classes)
