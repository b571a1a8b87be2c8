"""One run's study, read once from its result files: the facts every rendering states.

The HTML report, the paper and the slides all take their numbers from here (and from
``analysis``, which computes the tables), so no number is typed or derived twice.
"""
from __future__ import annotations

import platform
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from ..records import read_csv, read_json, unpack_flags
from ..search.genotype import SearchResult, read_search_result
from ..search.latency import LatencyTable, read_latency_table
from ..settings import Split
from . import analysis


@dataclass
class Study:
    result: SearchResult
    table: LatencyTable | None
    prune: dict[str, Any]
    stats: dict[str, Any]
    benches: list[pd.DataFrame]
    settings: dict[str, Any]
    train_precision: str  # Lightning's precision the searched net trained in (``trained_precision``)
    figures: dict[str, str] = field(default_factory=dict)
    emulated: list[pd.DataFrame] = field(default_factory=list)  # accuracy only: their latency is QEMU's
    val_accuracy: dict[str, float | None] = field(default_factory=dict)  # control -> its last epoch's (``final_val_accuracy``)
    # the controls at the final model's latency: its measured budget, and the second search's record
    final_budget: dict[str, Any] | None = None
    search_at_final: SearchResult | None = None

    @classmethod
    def read(cls, *, bench_csvs: list[str], search_result: str, latency_table: str | None, prune_json: str,
             stats_json: str, settings: dict[str, Any], figures: dict[str, str], train_history: str,
             control_histories: dict[str, str] | None = None, final_budget: str | None = None,
             search_at_final: str | None = None, evaluations: dict[str, str] | None = None) -> "Study":
        """``control_histories``: each control's training history, by model name (random1: ...);
        ``final_budget`` and ``search_at_final``: the second budget and search, where the run has them;
        ``evaluations``: each deployed file's evaluation here ("model/stage": its JSON), whose
        per-image flags make every comparison of two models paired (``with_flags``)."""
        flags = {tuple(key.split("/")): read_json(path) for key, path in (evaluations or {}).items()}
        frames = [with_flags(read_csv(p), flags) for p in bench_csvs]
        emulated = [b for b in frames if "emulated" in b and b.emulated.astype(bool).any()]
        return cls(result=read_search_result(search_result),
                   table=read_latency_table(latency_table) if latency_table else None,
                   prune=read_json(prune_json), stats=read_json(stats_json),
                   benches=[b for b in frames if not any(b is e for e in emulated)], settings=settings,
                   figures=figures, emulated=emulated,
                   train_precision=trained_precision(train_history),
                   val_accuracy={m: final_val_accuracy(p) for m, p in (control_histories or {}).items()},
                   final_budget=read_json(final_budget) if final_budget else None,
                   search_at_final=read_search_result(search_at_final) if search_at_final else None)

    @property
    def split_sizes(self) -> tuple[int, int]:
        """Images trained on and held out for validation (after the config's cap and split)."""
        train, val = Split.from_config(self.settings).indices(self.stats["images"]["train"])
        return len(train), len(val)

    @property
    def test_images(self) -> int:
        return max(int(b.test_images.max()) for b in self.benches)  # a device measures a sample of these

    def bench(self, target: str | None = None) -> pd.DataFrame:
        """One target's benchmark (the first, usually this machine's, by default)."""
        if target is None:
            return self.benches[0]
        return next(b for b in self.benches if b.target.iloc[0] == target)

    @property
    def targets(self) -> list[str]:
        return [b.target.iloc[0] for b in self.benches]

    def headline(self, target: str | None = None) -> dict[str, Any]:
        """The numbers an abstract states, at one thread on ``target``: the searched net before and
        after the compression chain, its place among the deployed models, its best control."""
        bench = self.bench(target)
        steps = analysis.compression_steps(bench)
        one = steps[steps.threads == steps.threads.min()].set_index("stage")
        deployed = analysis.deployed_models(bench)
        nas = deployed[deployed.model == "nas"].iloc[0]
        controls = deployed[deployed.model != "nas"]
        out = {"target": bench.target.iloc[0], "threads": int(steps.threads.min()),
               "baseline_accuracy": one.loc["baseline", "accuracy"], "baseline_ms": one.loc["baseline", "p50_ms"],
               "final_accuracy": one.loc["int8", "accuracy"], "final_ms": one.loc["int8", "p50_ms"],
               "speedup": one.loc["int8", "speedup_total"], "smaller": one.loc["int8", "smaller_total"],
               "accuracy_change": one.loc["int8", "accuracy_change_points"],
               "on_front": bool(nas["on_pareto_front"]), "dominated_by": nas["dominated_by"],
               "controls": len(controls)}
        versus = analysis.nas_vs_controls(bench, "baseline_int8")
        others = versus[versus.model != "nas"]  # the first question's controls (none: a run of the second's only)
        if len(others):
            best = others.loc[others.accuracy.idxmax()]
            out.update(best_control=best.model, best_control_points=-best["vs_nas_points"],
                       beyond_noise=bool(best["beyond_noise"]), best_control_paired=bool(best["paired"]))
            random = analysis.nas_vs_random(bench, val_accuracy=self.val_accuracy)
            if random:
                out.update(randoms=random["randoms"], best_random=random["best"],
                           best_random_points=random["vs_best_points"], random_beyond_noise=random["best_beyond"],
                           random_picked_by=random["picked_by"], random_mean_points=random["vs_mean_points"],
                           random_spread=random["spread"], beats_random=random["beats_random"],
                           random_verdict=random["verdict"], random_difference_se=random["difference_se"])
        alone = analysis.int8_alone(bench)
        if len(alone):
            row = alone[alone.threads == alone.threads.min()].iloc[0]
            out.update(int8_alone_speedup=row["int8_alone_speedup"], int8_alone_smaller=row["int8_alone_smaller"])
        tta = analysis.flip_tta(bench)
        if len(tta):
            row = tta[tta.threads == tta.threads.min()].iloc[0]
            out.update(flip_tta_points=row["gain_points"], flip_tta_latency=row["latency_ratio"])
        return out

    def int8_losses(self) -> pd.DataFrame:
        """Every target's INT8 files that fell below their FP32 by more than twice its standard
        error (``analysis.int8_losses``), emulated targets included, with a ``target`` column."""
        frames = [analysis.int8_losses(b).assign(target=b.target.iloc[0]) for b in self.benches + self.emulated]
        frames = [f for f in frames if len(f)]
        if not frames:
            return pd.DataFrame(columns=["target", "beyond_noise"])
        every = pd.concat(frames, ignore_index=True)
        return every[every["beyond_noise"]].reset_index(drop=True)

    def figure(self, name: str) -> Path:
        return Path(self.figures[name])


PACKAGES = ["torch", "torchvision", "nni", "pytorch-lightning", "torch-pruning", "onnx", "onnxruntime", "snakemake",
            "pandas", "seaborn"]


def versions() -> list[dict[str, str]]:
    rows = [{"package": "python", "version": platform.python_version()}]
    for name in PACKAGES:
        try:
            rows.append({"package": name, "version": metadata.version(name)})
        except metadata.PackageNotFoundError:
            pass
    return rows


def wiring_check(study: Study) -> dict[str, Any] | None:
    """Why a run's numbers cannot carry a conclusion (tiny data, or the searched net within three
    standard errors of chance: the smoke preset's runs), or None."""
    bench, classes, train_images = study.bench(), len(study.stats["classes"]), study.split_sizes[0]
    nas = bench[(bench.model == "nas") & (bench.stage == "baseline") & bench["format"].str.startswith("onnx")].iloc[0]
    chance = 1 / classes
    near_chance = bool(nas.accuracy - chance <= 3 * analysis.standard_error(chance, int(nas.test_images)))
    if near_chance or nas.test_images < 1000 or train_images < 5000:
        return {"train_n": int(train_images), "test_n": int(nas.test_images), "near_chance": near_chance,
                "accuracy": float(nas.accuracy), "chance": chance}
    return None


def with_flags(bench: pd.DataFrame, evaluations: dict[tuple[str, str], dict[str, Any]]) -> pd.DataFrame:
    """``bench`` with a ``correct`` column: each ONNX row's right/wrong flag per test image, where its
    accuracy is this machine's evaluation of that file on the whole test subset (a device's sample or a
    flip-TTA row has none), so that ``analysis.difference_se`` pairs two models on the same images."""
    def flags(row: pd.Series):
        record = evaluations.get((row.model, row.stage))
        if (record is None or "correct" not in record or not str(row["format"]).startswith("onnx")
                or int(row.test_images) != record["images"] or abs(row.accuracy - record["accuracy"]) > 1e-9):
            return None
        return unpack_flags(record["correct"], record["images"])

    return bench.assign(correct=[flags(row) for _, row in bench.iterrows()])


def trained_precision(history_csv: str | Path) -> str:
    """The arithmetic a training ran in, from its history (the last epoch's row); histories
    written before the column existed trained in fp32, as every CPU run then did."""
    history = read_csv(history_csv)
    if "precision" not in history or history.precision.isna().all():
        return "32-true"
    return str(history.precision.dropna().iloc[-1])


def final_val_accuracy(history_csv: str | Path) -> float | None:
    """A training's accuracy on its validation images after the last epoch: what a search may pick
    by. None where it held none out (``data.val_fraction: 0``)."""
    history = read_csv(history_csv)
    if "val_acc" not in history or pd.isna(history.val_acc.iloc[-1]):
        return None
    return float(history.val_acc.iloc[-1])
