"""Search spaces: what an architecture dict means, and the net it builds.

Each space module parses NNI's architecture dict once into a small typed structure that
the model, the figures and the report walk (as the DARTS reference code's ``Genotype``).
"""
from __future__ import annotations

from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the workflow imports this registry while parsing; torch loads only with a space
    from torch import nn

# The spaces searched under a target's latency budget (the latency table, the halving search, random
# controls): each module has space, build_net, Architecture, space_layers, settings and space_size.
HARDWARE_AWARE = ("mobile", "dense")


def hardware_aware(name: str) -> ModuleType:
    """The module of a hardware-aware space, by its ``search.space`` name."""
    if name not in HARDWARE_AWARE:
        raise ValueError(f"{name!r} is not a hardware-aware search space (one of {', '.join(HARDWARE_AWARE)})")
    return import_module(f"{__name__}.{name}")


def frozen(space_class: type, arch: dict[str, Any], *, num_classes: int) -> nn.Module:
    """One architecture of an NNI model space as a plain PyTorch net: every choice fixed by ``arch``,
    so it trains, prunes and exports like any ``nn.Module``."""
    from nni.nas.space import model_context

    with model_context(arch):
        return space_class(num_classes)
