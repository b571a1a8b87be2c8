"""What every search under a latency budget shares: the checks that its table and budget fit the
data and each other, what its record says of the budget, and the log of finished trials that a
rerun after a crash skips."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..data import ImageArrays
from ..errors import ConfigError
from ..resume import fingerprint
from .latency import Budget, LatencyTable


def budgeted(budget: Budget, best: dict[str, Any]) -> dict[str, Any]:
    """What every record of a search under a latency budget holds: the target, the budget and how
    it was set, and the chosen net's predicted latency."""
    budget.check(best["predicted_ms"], "the searched net")
    return {"target": budget.target, "latency_ms": budget.latency_ms, "latency_quantile": budget.quantile,
            "threads": budget.threads, "predicted_ms": best["predicted_ms"], "predicted_fp32_ms": best["predicted_fp32_ms"]}


def check_budget(table: LatencyTable, budget: Budget) -> None:
    if (budget.target, budget.threads) != (table.target, table.threads):
        raise ConfigError(f"the budget is for {budget.target} at {budget.threads} thread(s), the latency table for "
                          f"{table.target} at {table.threads}: rebuild results/search/budget.json")


def check_table(table: LatencyTable, train: ImageArrays) -> None:
    if table.num_classes != len(train.classes) or table.image_size != train.x.shape[1]:
        raise ConfigError(f"the latency table of {table.target} is for {table.num_classes} classes at "
                         f"{table.image_size} px, the data has {len(train.classes)} at {train.x.shape[1]} px: rebuild it")


class TrialLog:
    """Finished short trainings, one JSON line each, so a rerun after a crash skips them. A log
    written with other settings is started afresh."""

    def __init__(self, path: Path, settings: dict[str, Any]):
        self.path, stamp = path, path.with_suffix(".sha256")
        path.parent.mkdir(parents=True, exist_ok=True)
        if not (stamp.exists() and stamp.read_text() == fingerprint(settings)):
            path.unlink(missing_ok=True)
            stamp.write_text(fingerprint(settings))
        self.done = {}
        if path.exists():
            for line in path.read_text().splitlines():
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:  # a line cut short by a crash
                    continue
                self.done[(row["round"], row["candidate"])] = row

    def add(self, row: dict[str, Any]) -> None:
        self.done[(row["round"], row["candidate"])] = row
        with self.path.open("a") as f:
            f.write(json.dumps(row) + "\n")
