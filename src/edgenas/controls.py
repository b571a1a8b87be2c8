"""Reference models for "did NAS help?": trained from scratch with the searched net's recipe.

- ``random<seed>``: an architecture drawn uniformly from the searched space (NNI's own sampler,
  fixed seed): from a hardware-aware space (mobile, dense), among those the target's latency table puts within the
  search's budget; from the DARTS space, at the evaluation net's width and depth. The standard
  NAS control.
- ``resnet20``, ``mobilenetv2``, ``airbench94``: the hand-designed nets of ``edgenas.nets``,
  trained here with the workflow's recipe like every control.

This module says which nets are controls and how a random one is drawn; the nets themselves
live with the other nets (``spaces``), so ``model`` rebuilds any of them without importing it.
"""
from __future__ import annotations

import re
from typing import Any

from .errors import ConfigError
from .search.latency import Budget, LatencyTable
from .search.spaces import is_hardware_aware, pruned_space_name
from .settings import Prune

FAMILIES = ("random", "resnet20", "mobilenetv2", "airbench94")
# The controls of "what did compression add?", judged at the final model's latency (a second budget,
# the final INT8 model's measured latency on the search target): a net searched under it, random
# nets drawn under it, and the pruned net's architecture trained from scratch.
AT_FINAL = ("nas_at_final", "random_at_final")
COMPRESSION = (*AT_FINAL, "pruned_scratch")
RANDOM = re.compile(r"random(\d+)")                 # under the search's budget
RANDOM_AT_FINAL = re.compile(r"random(\d+)_at_final")  # under the final model's latency


def control_names(models: list[str], random_seeds: list[int]) -> list[str]:
    """Config entries to control names: ``random`` becomes one ``random<seed>`` per seed,
    ``random_at_final`` one ``random<seed>_at_final`` per seed."""
    names = []
    for m in models:
        if m == "random":
            names += [f"random{s}" for s in random_seeds]
        elif m == "random_at_final":
            names += [f"random{s}_at_final" for s in random_seeds]
        else:
            names.append(m)
    return names


def at_final(name: str) -> bool:
    """Whether a control is budgeted at the final model's latency (the second budget)."""
    return name == "nas_at_final" or RANDOM_AT_FINAL.fullmatch(name) is not None


def of_compression(name: str) -> bool:
    """Whether a model is a control of "what did compression add?" (at the final model's latency, or
    the pruned architecture), not of "did NAS find a better model?" at the search's budget."""
    return at_final(name) or name == "pruned_scratch"


def at_final_space(space: str, prune: Prune) -> str | None:
    """The space the at-final lane searches and draws from, where the pruned net's shape follows from
    the searched genotype and the pruning settings alone: every group of a dense net pruned by the same
    share (no global ranking, no layer kept whole), so the lane's budget is known right after the search
    and the lane runs beside the main chain (``spaces.pruned``: the shapes that pruning produces, which
    reach the final model's latency). None where the shape depends on the weights or the mobile space's
    blocks: the lane then waits for the final model and searches the main space."""
    if space == "dense" and not prune.global_pruning and not prune.keep_layers and prune.ratio > 0:
        return pruned_space_name(prune.ratio, prune.round_to)
    return None


def control_spec(name: str, num_classes: int, *, space: str, darts_net: dict[str, Any],
                 table: LatencyTable | None = None, budget: Budget | None = None) -> dict[str, Any]:
    """What rebuilds a control (``model.build_model``). ``space`` is the searched space; a random net
    of a hardware-aware space (mobile, dense) is drawn under the search's ``budget`` (``latency.read_budget``) on its
    latency ``table``; a random DARTS architecture is built like the searched net (``darts_net``:
    width, cells, auxiliary head, drop-path); the hand-designed nets take only the class count."""
    match = RANDOM.fullmatch(name) or RANDOM_AT_FINAL.fullmatch(name)
    if match and is_hardware_aware(space):
        from .search.latency import sample_archs

        if table is None or budget is None:
            raise ValueError(f"{name}: a random architecture of the {space} space needs the search target's latency "
                             "table and the search's budget")
        arch = sample_archs(1, int(match.group(1)), lambda a: table.predict(a) <= budget.latency_ms, space=space)[0]
        budget.admit(table, arch, name)
        return {"family": space, "arch": arch, "num_classes": num_classes}
    if match:
        from .search.spaces import darts

        return {"family": "darts", "arch": darts.random_arch(int(match.group(1))), "num_classes": num_classes,
                **darts_net}
    if name in FAMILIES[1:]:
        return {"family": name, "num_classes": num_classes}
    raise ConfigError(f"controls.models: unknown control {name!r} (one of {', '.join(FAMILIES + COMPRESSION)})")
