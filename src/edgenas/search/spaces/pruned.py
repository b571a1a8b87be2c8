"""The shapes pruning gives the dense space's nets: the space searched at the final model's latency.

Pruning every group of a net by the same share (``prune.global_pruning: false``), rounded down to a
multiple of ``round_to`` as torch-pruning rounds, maps each width ``w`` to ``kept_width(w)``, whatever
the weights. The nets the pruning can produce are then the dense space's nets with every width
mapped: a space of its own, narrower than any the main search offers, holding the pruned searched
net and the nets at its latency a second search and random draws need. The main search's space is
left as it is.

Its name reads ``dense@0.25/16``: the base space, the share of channels removed and the rounding.
It offers the dense space's interface (``space``, ``build_net``, ``Architecture``, ``space_layers``,
``settings``, ``space_size``, ``STAGES``), so a latency table, a search and a control take either.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial
from types import SimpleNamespace
from typing import Any

from . import dense, pruned_space_name


def kept_width(width: int, ratio: float, round_to: int) -> int:
    """The channels torch-pruning keeps of a group of ``width`` (BasePruner, local pruning): the
    whole part of ``width * (1 - ratio)``, rounded down to a multiple of ``round_to``; a group it
    would empty keeps every channel."""
    kept = int(width * (1 - ratio))
    if round_to:
        kept -= kept % round_to
    return kept if kept > 0 else width


@dataclass(frozen=True)
class PrunedShapes:
    """The dense space with every width kept as pruning by ``ratio``, rounded to ``round_to``, keeps it."""

    ratio: float
    round_to: int

    @property
    def name(self) -> str:
        return pruned_space_name(self.ratio, self.round_to)

    def width(self, width: int) -> int:
        return kept_width(width, self.ratio, self.round_to)

    @property
    def STEM_WIDTHS(self) -> tuple[int, ...]:  # noqa: N802 (a space module's constant)
        return tuple(sorted({self.width(w) for w in dense.STEM_WIDTHS}))

    @property
    def STAGES(self) -> tuple:  # noqa: N802
        return tuple(replace(s, widths=tuple(sorted({self.width(w) for w in s.widths}))) for s in dense.STAGES)

    def _widths(self) -> dict[str, Any]:
        return {"stem_widths": self.STEM_WIDTHS, "stages": self.STAGES}

    def space(self, num_classes: int = 10):
        return dense._space_class(**self._widths())(num_classes)

    def build_net(self, arch: dict[str, Any], *, num_classes: int):
        return dense.build_net(arch, num_classes=num_classes, **self._widths())

    @property
    def Architecture(self) -> SimpleNamespace:  # noqa: N802
        return SimpleNamespace(from_arch=partial(dense.Architecture.from_arch, **self._widths()))

    def space_layers(self, image_size: int, num_classes: int):
        return dense.space_layers(image_size, num_classes, **self._widths())

    def settings(self, num_classes: int) -> dict[str, Any]:
        return dict(dense.settings(num_classes, **self._widths()), pruned_from="dense", ratio=self.ratio,
                    round_to=self.round_to)

    def space_size(self) -> int:
        return dense.space_size(**self._widths())

    def of(self, arch: dict[str, Any]) -> dict[str, Any]:
        """A dense net's pruned shape, as an architecture of this space."""
        return {k: self.width(int(v)) if k.endswith("_width") else v for k, v in arch.items()}

