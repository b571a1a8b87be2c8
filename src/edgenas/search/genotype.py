"""``genotype.json``: the search's result record, read and written in one place.

The file holds more than the genotype: which space was searched and what rebuilds it,
the chosen architecture (NNI's dict), the strategy with its settings and cost, its final
metrics, and its trace (DARTS: the architecture weights per epoch; the hardware-aware search:
every scored candidate with its accuracy and predicted latency). Model, figures and
report read it through :class:`SearchResult`, and parse the architecture through
``SearchResult.genotype``, the one place that dispatches on the space.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from ..records import DamagedFile, read_json, rebuild_hint, write_json
from .spaces import HARDWARE_AWARE, hardware_aware, is_hardware_aware

SPACES = ("darts", *HARDWARE_AWARE)


@dataclass(frozen=True)
class SearchResult:
    space: str                      # one of SPACES
    space_settings: dict[str, Any]  # what rebuilds the searched space (widths, cells, candidate ops, ...)
    arch: dict[str, Any]            # NNI's architecture dict of the chosen net
    search: dict[str, Any]          # strategy, its settings and its cost
    metrics: dict[str, float] = field(default_factory=dict)
    arch_weights: list[dict[str, list[float]]] = field(default_factory=list)  # DARTS: softmax(alpha) per epoch
    population: list[dict[str, Any]] = field(default_factory=list)  # mobile, dense: every scored candidate, in order

    @property
    def strategy(self) -> str:
        """darts, halving (successive halving over short trainings) or spos (supernet + evolution)."""
        if self.space == "darts":
            return "darts"
        return "halving" if "rounds" in self.search else "spos"

    @property
    def nets_per_round(self) -> list[int]:
        """The halving search's funnel: how many candidates each round trained (empty for the others)."""
        rounds = self.search.get("rounds", []) if self.space != "darts" else []
        return [sum(len(c["rounds"]) > i for c in self.population) for i in range(len(rounds))]

    @property
    def genotype(self):
        """The architecture parsed into its space's typed structure."""
        if self.space == "darts":
            from .spaces.darts import Genotype

            return Genotype.from_arch(self.arch)
        if is_hardware_aware(self.space):
            return hardware_aware(self.space).Architecture.from_arch(self.arch)
        raise ValueError(f"unknown search space {self.space!r} (one of {', '.join(SPACES)})")

    def write(self, path: str | Path) -> None:
        write_json(asdict(self), path)


def _halving_defaults(search: dict[str, Any]) -> dict[str, Any]:
    """A halving record written before its rounds could train more than one epoch: each round was
    one epoch, and the most images any round trained on is its largest round. Filled here, once, so
    every reader (facts, figures, report, benchmarks) reads ``round_epochs`` and ``max_images``."""
    if "rounds" not in search:
        return search
    return {"round_epochs": [1] * len(search["rounds"]), "max_images": max(search["rounds"]), **search}


def read_search_result(path: str | Path) -> SearchResult:
    """Read genotype.json; a file that is not a complete record names itself and its fix."""
    record = read_json(path)
    missing = [k for k in ("space", "space_settings", "arch", "search") if not isinstance(record, dict) or k not in record]
    if missing:
        raise DamagedFile(f"{path}: not a search result (missing {', '.join(missing)}); {rebuild_hint(path)}")
    result = SearchResult(**{k: record[k] for k in SearchResult.__dataclass_fields__ if k in record})
    result = replace(result, search=_halving_defaults(result.search))
    try:
        result.genotype
    except (ValueError, KeyError, TypeError) as err:
        raise DamagedFile(f"{path}: the architecture under 'arch' is not a {result.space} architecture ({err}); "
                          f"{rebuild_hint(path)}") from err
    return result
