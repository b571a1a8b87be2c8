"""Architecture search with NNI 3.0, two ways; the result is a ``genotype.SearchResult``.

- ``search_darts``: NNI's DARTS cell space with its first-order DARTS strategy. The search
  images are halved, as in DARTS: one half trains the supernet weights, the other the
  architecture weights.
- ``search_halving`` (the default for the hardware-aware spaces, ``spaces.mobile`` and
  ``spaces.dense``): candidates drawn from NNI's space
  under the target's measured latency budget (``latency``), filling it, raced in the sampler's
  random order (or pre-ranked by a cheap score, ``proxies``) by successive halving over short
  trainings with the workflow's own recipe and ``train.fit``: what the study judges, measured at
  growing budgets.
- ``search_hardware_aware``: a hardware-aware space with SPOS supernet training
  and regularized evolution under the same budget (for a GPU: on a CPU's minutes the supernet's
  ranking is noise, ``benchmarks/search_signal.py``).
"""
from __future__ import annotations

import json
import math
import time
import warnings
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pytorch_lightning as pl
import torch
from torch import nn

from .accel import Hardware, StepTimer, channels_last
from .data import BatchedImages, ImageArrays, Split, make_loader, split_indices
from .errors import ConfigError
from .fits import fidelity_rounds, spos_sizes, spos_too_small
from .genotype import SearchResult
from .latency import Budget, LatencyTable
from .resume import checkpoint_to_resume, finished, fingerprint, sigterm_fails
from .spaces import darts
from .spaces import hardware_aware
from .train import Recipe

warnings.filterwarnings("ignore", message=".*is found to be not a nn.Module.*")


class ArchWeightsRecorder(pl.Callback):
    """Softmax of every architecture parameter at each epoch end: how the choice evolved."""

    def __init__(self):
        self.epochs: list[dict[str, list[float]]] = []

    def state_dict(self) -> dict:  # kept in Lightning's checkpoint, so a resumed search keeps its history
        return {"epochs": self.epochs}

    def load_state_dict(self, state: dict) -> None:
        self.epochs = state["epochs"]

    def on_train_epoch_end(self, trainer, pl_module):
        self.epochs.append({
            name.split("_arch_alpha.")[-1]: torch.softmax(p.detach().flatten(), 0).tolist()
            for name, p in pl_module.named_parameters() if "_arch_alpha" in name
        })


@dataclass(frozen=True, kw_only=True)
class Darts:
    """The DARTS search's settings (``search.darts``)."""

    width: int               # the supernet's initial channels
    num_cells: int
    epochs: int
    batch_size: int
    subset: int              # training images searched on, split in halves (weights / architecture)
    learning_rate: float     # of the weights
    arc_learning_rate: float
    weight_decay: float
    gradient_clip: float     # 0: none


def search_darts(train: ImageArrays, mean: list[float], std: list[float], *, settings: Darts, seed: int,
                 workdir: str | Path, hardware: Hardware = Hardware("cpu", "32-true")) -> SearchResult:
    """Run the DARTS search; returns the record written to genotype.json."""
    from nni.nas.evaluator.pytorch import Classification, DataLoader
    from nni.nas.experiment import NasExperiment
    from nni.nas.hub.pytorch import DARTS
    from nni.nas.strategy import DARTS as DartsStrategy

    if hardware.precision == "bf16-mixed" and not hardware.on_gpu:
        raise ConfigError("precision: 'bf16' on the CPU: NNI's DARTS search ends with NaN architecture weights "
                          "in bf16 autocast there; use precision: '32' or 'auto' (fp32 for DARTS on the CPU)")
    width, num_cells, epochs, batch_size = settings.width, settings.num_cells, settings.epochs, settings.batch_size
    learning_rate, arc_learning_rate = settings.learning_rate, settings.arc_learning_rate
    workdir = Path(workdir).resolve()
    checkpoints = workdir / "checkpoints"
    last = checkpoint_to_resume(checkpoints, dict(
        **asdict(settings), seed=seed, images=list(train.x.shape), classes=train.classes, hardware=str(hardware)))
    pl.seed_everything(seed, workers=True)
    num_classes = len(train.classes)

    idx, _ = split_indices(len(train.y), 0.0, seed, limit=settings.subset)
    half = len(idx) // 2
    if half < batch_size:
        raise ConfigError(f"search.subset: {len(idx)} images leave fewer than search.batch_size={batch_size} "
                         "per half (weights / architecture)")
    weights_half = BatchedImages(train, idx[:half], mean, std, augment=True)
    arch_half = BatchedImages(train, idx[half:], mean, std, augment=True)

    space = DARTS(width=width, num_cells=num_cells, dataset="cifar")
    if num_classes != space.num_labels:
        space.classifier = nn.Linear(space.classifier.in_features, num_classes)
    channels_last(space)
    recorder, timer = ArchWeightsRecorder(), StepTimer()
    pin = hardware.on_gpu
    evaluator = Classification(
        learning_rate=learning_rate, weight_decay=settings.weight_decay, optimizer=torch.optim.SGD,
        train_dataloaders=make_loader(weights_half, batch_size, True, True, DataLoader, seed, pin),
        val_dataloaders=make_loader(arch_half, batch_size, True, True, DataLoader, seed + 1, pin),
        max_epochs=epochs, num_classes=num_classes, **hardware.trainer_kwargs(),
        default_root_dir=str(workdir), logger=False, log_every_n_steps=1,
        # one last.ckpt, overwritten every epoch; a rerun after a crash resumes from it
        callbacks=[recorder, timer, pl.callbacks.ModelCheckpoint(dirpath=str(checkpoints), filename="last",
                                                          enable_version_counter=False)],
    )
    evaluator.fit_kwargs = {"ckpt_path": str(last), "weights_only": True} if last else {}
    strategy = DartsStrategy(arc_learning_rate=arc_learning_rate, gradient_clip_val=settings.gradient_clip or None)
    experiment = NasExperiment(space, evaluator, strategy)
    experiment.config.experiment_working_directory = str(workdir / "nni")
    start = time.time()
    try:
        with sigterm_fails(checkpoints):
            experiment.run()
        seconds = time.time() - start
        if len(recorder.epochs) < epochs:  # NNI logs a failed trial instead of raising
            saved = checkpoints / "last.ckpt"
            resume = f"; a rerun resumes from {saved}" if saved.exists() else ""
            raise RuntimeError(f"the search stopped after {len(recorder.epochs)} of {epochs} epochs "
                               f"(see the log above){resume}")
        arch = experiment.export_top_models(formatter="dict")[0]
        metrics = {k: float(v) for k, v in strategy.oneshot_module.trainer.callback_metrics.items()
                   if not k.startswith("prob/")}
    finally:
        experiment.stop()
    finished(checkpoints)
    return SearchResult(
        space="darts",
        space_settings={"ops": darts.OPS, "nodes_per_cell": darts.NODES_PER_CELL, "width": width,
                        "num_cells": num_cells, "num_classes": num_classes},
        arch={str(k): v for k, v in arch.items()},
        search={"strategy": "DARTS (first order)", "epochs": epochs, "batch_size": batch_size,
                "images": int(len(idx)), "learning_rate": learning_rate, "arc_learning_rate": arc_learning_rate,
                "weight_decay": settings.weight_decay, "gradient_clip": settings.gradient_clip, "seed": seed,
                "seconds": round(seconds, 1), "threads": torch.get_num_threads(),
                "accelerator": hardware.accelerator, "precision": hardware.precision,
                "images_per_s": round(timer.images_per_s(), 2)},
        metrics=metrics,
        arch_weights=recorder.epochs,
    )


class NesterovSGD(torch.optim.SGD):
    """SGD with Nesterov momentum 0.9 (NNI's evaluator passes only the rate and the weight decay)."""

    def __init__(self, params, lr: float, weight_decay: float = 0.0):
        super().__init__(params, lr=lr, momentum=0.9, nesterov=True, weight_decay=weight_decay)


class CosineRate(pl.Callback):
    """Linear warm-up over the first ``warmup`` share of the steps, then cosine decay (NNI's
    evaluator keeps the rate constant; the supernet diverges at full rate from the first step)."""

    def __init__(self, learning_rate: float, warmup: float = 0.05):
        self.learning_rate = learning_rate
        self.warmup = warmup

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        total = max(1, trainer.estimated_stepping_batches)
        step, warm = trainer.global_step, max(1.0, self.warmup * total)
        rate = (step + 1) / warm if step < warm else 0.5 * (1 + math.cos(math.pi * (step - warm) / (total - warm)))
        for group in trainer.optimizers[0].param_groups:
            group["lr"] = self.learning_rate * rate


def _weight_preserving_freeze() -> None:
    """NNI 3.0 copies a supernet operation's weights into the frozen one with ``load_state_dict``,
    including ``bias: None`` for bias-free convolutions, which torch 2.x rejects ('Unexpected
    key(s): bias'). Its upstream is no longer maintained, so drop the None entries here."""
    from nni.nas.oneshot.pytorch.supermodule.operation import MixedOperation

    if getattr(MixedOperation.freeze, "edgenas", False):
        return

    def freeze(self, sample):
        arguments = {**self.init_arguments}
        for name, mutable in self.mutable_arguments.items():
            arguments[name] = mutable.freeze(sample)
        operation = self.bound_type(**arguments)
        operation.load_state_dict({k: v for k, v in self.freeze_weight(**arguments).items() if v is not None})
        return operation

    freeze.edgenas = True
    MixedOperation.freeze = freeze


def _table_profiler(table: LatencyTable):
    """The latency table as an NNI profiler: predicted INT8 latency (ms) of a sample."""
    from nni.nas.profiler import Profiler

    class TableProfiler(Profiler):
        def __init__(self):  # noqa: D107 (NNI's Profiler wants a space; the table already covers it)
            pass

        def profile(self, sample) -> float:
            return table.predict(sample)

    return TableProfiler()


@torch.no_grad()
def recalibrated_accuracy(net: nn.Module, calibration: list, validation: list) -> float:
    """Accuracy of a net taken from the supernet, after re-estimating its batch-norm statistics
    on a few training batches (SPOS: the supernet's running statistics mix every path)."""
    for m in net.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.reset_running_stats()
            m.momentum = None  # cumulative average over the calibration batches
    net.train()
    for x, _ in calibration:
        net(x)
    net.eval()
    correct = sum(int((net(x).argmax(1) == y).sum()) for x, y in validation)
    return correct / sum(len(y) for _, y in validation)


def _budgeted(budget: Budget, best: dict[str, Any]) -> dict[str, Any]:
    """What every record of a search under a latency budget holds: the target, the budget and how
    it was set, and the chosen net's predicted latency."""
    budget.check(best["predicted_ms"], "the searched net")
    return {"target": budget.target, "latency_ms": budget.latency_ms, "latency_quantile": budget.quantile,
            "threads": budget.threads, "predicted_ms": best["predicted_ms"], "predicted_fp32_ms": best["predicted_fp32_ms"]}


def _check_budget(table: LatencyTable, budget: Budget) -> None:
    if (budget.target, budget.threads) != (table.target, table.threads):
        raise ConfigError(f"the budget is for {budget.target} at {budget.threads} thread(s), the latency table for "
                          f"{table.target} at {table.threads}: rebuild results/search/budget.json")


def _spos_images(train: ImageArrays, mean: list[float], std: list[float], *, subset: int, val_images: int,
                 batch_size: int, seed: int) -> tuple[BatchedImages, BatchedImages]:
    """The supernet's training images and the other training images candidates are scored on:
    ``subset`` and ``val_images`` are caps, on a small data set a tenth is held out and the rest
    trains (``spos_sizes``)."""
    idx = np.random.default_rng(seed).permutation(len(train.y))
    subset, val_images = spos_sizes(len(idx), subset, val_images)
    if subset < batch_size:
        raise ConfigError(spos_too_small(len(idx), subset, batch_size))
    return (BatchedImages(train, np.sort(idx[:subset]), mean, std, augment=True),
            BatchedImages(train, np.sort(idx[subset:subset + val_images]), mean, std))


def _check_table(table: LatencyTable, train: ImageArrays) -> None:
    if table.num_classes != len(train.classes) or table.image_size != train.x.shape[1]:
        raise ConfigError(f"the latency table of {table.target} is for {table.num_classes} classes at "
                         f"{table.image_size} px, the data has {len(train.classes)} at {train.x.shape[1]} px: rebuild it")


def train_supernet(train: ImageArrays, mean: list[float], std: list[float], *, table: LatencyTable, budget: float,
                   epochs: int, batch_size: int, subset: int, val_images: int, learning_rate: float,
                   weight_decay: float, seed: int, workdir: str | Path,
                   hardware: Hardware = Hardware("cpu", "32-true")) -> tuple[nn.Module, dict[str, float]]:
    """SPOS's supernet (weights shared by every path), trained one sampled path per batch (NNI's
    ``RandomOneShot``), sampling only architectures the target's latency table puts within
    ``budget`` (ms, INT8, batch 1). Returns the trained space, from which ``space.freeze(arch)``
    takes any net with its inherited weights, and the training's seconds and images/s. Its
    epoch checkpoint stays in ``workdir/checkpoints`` until the caller calls ``finished``."""
    from nni.nas.evaluator.pytorch import Classification, DataLoader
    from nni.nas.experiment import NasExperiment
    from nni.nas.oneshot.pytorch.profiler import RangeProfilerFilter
    from nni.nas.strategy import RandomOneShot

    workdir = Path(workdir).resolve()
    checkpoints = workdir / "checkpoints"
    settings = dict(latency_ms=budget, epochs=epochs, batch_size=batch_size, subset=subset, val_images=val_images,
                    learning_rate=learning_rate, weight_decay=weight_decay, seed=seed, images=list(train.x.shape),
                    classes=train.classes, table=table.correction, hardware=str(hardware))
    last = checkpoint_to_resume(checkpoints, settings)
    pl.seed_everything(seed, workers=True)
    _check_table(table, train)
    weights_part, held_out = _spos_images(train, mean, std, subset=subset, val_images=val_images,
                                          batch_size=batch_size, seed=seed)
    space = channels_last(hardware_aware(table.space).space(len(train.classes)))
    timer, pin = StepTimer(), hardware.on_gpu
    evaluator = Classification(
        learning_rate=learning_rate, weight_decay=weight_decay, optimizer=NesterovSGD,
        train_dataloaders=make_loader(weights_part, batch_size, True, True, DataLoader, seed, pin),
        val_dataloaders=make_loader(held_out, 256, False, False, DataLoader, pin_memory=pin),
        max_epochs=epochs, num_classes=len(train.classes), **hardware.trainer_kwargs(),
        default_root_dir=str(workdir), logger=False, limit_val_batches=2, num_sanity_val_steps=0,
        callbacks=[timer, CosineRate(learning_rate),
                   pl.callbacks.ModelCheckpoint(dirpath=str(checkpoints), filename="last",
                                                enable_version_counter=False)],
    )
    evaluator.fit_kwargs = {"ckpt_path": str(last), "weights_only": True} if last else {}
    supernet = NasExperiment(space, evaluator, RandomOneShot(filter=RangeProfilerFilter(_table_profiler(table),
                                                                                        max=budget)))
    supernet.config.experiment_working_directory = str(workdir / "nni")
    start = time.time()
    try:
        with sigterm_fails(checkpoints):
            supernet.run()
    finally:
        supernet.stop()
    if not (checkpoints / "last.ckpt").exists():
        raise RuntimeError("the supernet's training stopped before its first epoch ended (see the log above)")
    _weight_preserving_freeze()
    return space, {"seconds": time.time() - start, "images_per_s": timer.images_per_s()}


def supernet_batches(train: ImageArrays, mean: list[float], std: list[float], *, subset: int, val_images: int,
                     batch_size: int, bn_batches: int, seed: int) -> tuple[list, list]:
    """What a candidate is scored with on the supernet: ``bn_batches`` training batches that
    re-estimate its batch-norm statistics, and the held-out images it is scored on."""
    weights_part, held_out = _spos_images(train, mean, std, subset=subset, val_images=val_images,
                                          batch_size=batch_size, seed=seed)
    calibration = [batch for batch, _ in zip(make_loader(weights_part, batch_size, True, True, seed=seed + 1),
                                             range(bn_batches))]
    return calibration, list(make_loader(held_out, 500, False))


@dataclass(frozen=True, kw_only=True)
class Spos:
    """The SPOS search's settings (``search.hardware_aware.spos``)."""

    epochs: int            # of the supernet, on ``subset`` training images
    batch_size: int
    subset: int            # caps: on a small data set a tenth is held out and the rest trains
    val_images: int        # held-out training images each candidate is scored on
    learning_rate: float
    weight_decay: float
    population: int        # regularized evolution's population
    sample_size: int       # and tournament size
    candidates: int        # candidates scored
    mutation_prob: float
    bn_batches: int        # training batches that re-estimate a candidate's batch-norm statistics


def search_hardware_aware(train: ImageArrays, mean: list[float], std: list[float], *, table: LatencyTable,
                          budget: Budget, spos: Spos, seed: int, workdir: str | Path,
                          hardware: Hardware = Hardware("cpu", "32-true")) -> SearchResult:
    """SPOS on the hardware-aware space the ``table`` times (mobile, dense), aware of the target's latency.

    1. The supernet is trained (``train_supernet``) within ``budget`` (``latency.resolve_budget``).
    2. Regularized evolution (NNI's ``RegularizedEvolution``) over the trained supernet: each
       candidate inherits its weights, gets its batch-norm statistics re-estimated and is scored
       on held-out training images; candidates over the budget are filtered out unscored.
    The best-scoring candidate is the result; every scored candidate is kept in the record."""
    import nni
    from nni.nas.evaluator import FunctionalEvaluator
    from nni.nas.experiment import NasExperiment
    from nni.nas.strategy import RegularizedEvolution
    from nni.nas.strategy.middleware import Chain, Filter

    _check_budget(table, budget)
    workdir = Path(workdir).resolve()
    subset, val_images = spos_sizes(len(train.y), spos.subset, spos.val_images)  # the caps met, as recorded
    space, supernet = train_supernet(train, mean, std, table=table, budget=budget.latency_ms, epochs=spos.epochs,
                                     batch_size=spos.batch_size, subset=subset, val_images=val_images,
                                     learning_rate=spos.learning_rate, weight_decay=spos.weight_decay, seed=seed,
                                     workdir=workdir, hardware=hardware)
    calibration, validation = supernet_batches(train, mean, std, subset=subset, val_images=val_images,
                                               batch_size=spos.batch_size, bn_batches=spos.bn_batches, seed=seed)
    candidates = spos.candidates
    scored: list[dict] = []

    def score(net: nn.Module) -> None:
        sample = nni.get_current_parameter().sample
        accuracy = recalibrated_accuracy(net, calibration, validation)
        scored.append({"arch": {str(k): v for k, v in sample.items()}, "accuracy": accuracy,
                       "predicted_ms": table.predict(sample), "predicted_fp32_ms": table.predict(sample, "fp32")})
        print(f"candidate {len(scored)}/{candidates}: validation accuracy {accuracy:.4f}, "
              f"predicted {scored[-1]['predicted_ms']:.3f} ms INT8", flush=True)
        nni.report_final_result(accuracy)

    within = _table_profiler(table)
    evolution = Chain(RegularizedEvolution(population_size=spos.population, sample_size=spos.sample_size,
                                           mutation_prob=spos.mutation_prob, seed=seed),
                      Filter(lambda model: within.profile(model.sample) <= budget.latency_ms, patience=100_000))
    search = NasExperiment(space, FunctionalEvaluator(score), evolution)
    search.config.experiment_working_directory = str(workdir / "nni")
    search.config.max_trial_number = candidates
    start = time.time()
    try:
        search.run()
    finally:
        search.stop()
    if not scored:
        raise RuntimeError("the evolution scored no candidate (see the log above)")
    best = max(scored, key=lambda c: c["accuracy"])
    finished(workdir / "checkpoints")
    return SearchResult(
        space=table.space,
        space_settings=hardware_aware(table.space).settings(len(train.classes)),
        arch=best["arch"],
        search={"strategy": "SPOS + regularized evolution (hardware-aware)",
                **_budgeted(budget, best), **asdict(spos), "images": subset, "val_images": val_images,
                "candidates": len(scored), "seed": seed,
                "seconds": round(supernet["seconds"] + time.time() - start, 1),
                "supernet_seconds": round(supernet["seconds"], 1), "evolution_seconds": round(time.time() - start, 1),
                "torch_threads": torch.get_num_threads(), "accelerator": hardware.accelerator,
                "precision": hardware.precision, "images_per_s": round(supernet["images_per_s"], 2)},
        metrics={"val_accuracy": best["accuracy"]},
        population=scored,
    )


@dataclass(frozen=True, kw_only=True)
class Halving:
    """The successive-halving search's settings (``search.hardware_aware.halving``)."""

    fill: float      # candidates' predicted INT8 latency lies in [fill * budget, budget]
    draws: int       # architectures drawn in that band
    prerank: str     # the cheap score the draws are ranked by (``proxies.RANKINGS``; none: drawn order)
    candidates: int  # the first (pre-ranked) draws enter the first round
    images: int      # training images per candidate in the first round (one epoch)
    eta: int         # each round keeps the best 1/eta, trained on eta times the images seen
    max_images: int  # a round trains on at most this many; beyond, on more epochs over them


def round_order(train_idx: np.ndarray, seed: int) -> np.ndarray:
    """The seeded order the search's rounds take their training images from: a round on n
    images trains on the first n, so a longer round extends a shorter one."""
    return np.random.default_rng(seed).permutation(train_idx)


def held_out(train_idx: np.ndarray, val_idx: np.ndarray, seed: int, trained: int) -> np.ndarray:
    """The images the search scores its candidates on: the split's validation images and every
    training image no round trains on. On the default split (rounds on at most 24,000 images) that
    is 26,000 images, not 5,000, so one score's standard error falls from about 0.7 to 0.3 points."""
    return np.sort(np.concatenate([val_idx, round_order(train_idx, seed)[trained:]]))


def short_training_accuracy(arch: dict[str, Any], train: ImageArrays, train_idx: np.ndarray, val_idx: np.ndarray,
                            mean: list[float], std: list[float], recipe: Recipe, *, images: int, seed: int,
                            workdir: str | Path, hardware: Hardware = Hardware("cpu", "32-true"),
                            space: str = "mobile", epochs: int = 1) -> float:
    """The search's fidelity: a fresh net of ``arch`` (of the hardware-aware ``space``) trained
    ``epochs`` epochs with the workflow's recipe (its schedule compressed into them) on ``images``
    training images, top-1 on ``val_idx``. Every candidate gets the same initial seed, the same
    images (the first ``images`` of ``round_order``) and the same batch order."""
    from .model import build_model
    from .train import fit

    order = round_order(train_idx, seed)[:images]
    net = build_model({"family": space, "arch": arch, "num_classes": len(train.classes)}, seed=seed)
    history = fit(net, train, np.sort(order), val_idx, mean, std, replace(recipe, epochs=epochs),
                  seed=seed, workdir=workdir, hardware=hardware)
    finished(Path(workdir))
    return float(history[-1]["val_acc"])


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


def search_halving(train: ImageArrays, mean: list[float], std: list[float], *, table: LatencyTable,
                   budget: Budget, halving: Halving, recipe: Recipe, split: Split, workdir: str | Path,
                   hardware: Hardware = Hardware("cpu", "32-true")) -> SearchResult:
    """Search the hardware-aware space the ``table`` times (mobile, dense) for the net most
    accurate after the workflow's own recipe, within the target's INT8 latency budget.

    1. Draw ``halving.draws`` architectures with NNI's sampler among those the target's latency
       table puts in ``[fill * budget, budget]``: nets that use the budget, not merely fit under it.
    2. Order them by ``halving.prerank`` (``proxies.cheap_scores``; ``none``: the sampler's own
       random order) and keep the first ``candidates``; they get every cheap score, for the record.
    3. Successive halving (Jamieson & Talwalkar 2016; Li et al. 2018): every candidate is trained
       one epoch with the recipe on ``images`` training images and scored on the held-out images
       (``held_out``: the split's validation images and the training images no round uses); the
       best 1/eta go on to ``eta`` times the training (``fits.fidelity_rounds``: more images up
       to ``max_images``, then more epochs over them), until the last round.
    Every candidate keeps its cheap scores and each round's accuracy in the record, with the rank
    correlation between consecutive rounds (how stable the ranking was)."""
    from scipy.stats import spearmanr
    from tqdm import tqdm

    from .latency import sample_archs
    from .proxies import cheap_scores, needed, ranking

    _check_table(table, train)
    _check_budget(table, budget)
    start = time.time()
    seed, space = split.seed, table.space
    limit = budget.latency_ms
    train_idx, val_idx = split.indices(len(train.y))
    if len(val_idx) == 0:
        raise ConfigError("data.val_fraction: the halving search scores candidates on the validation images; "
                          "set it above 0")
    try:
        pool = sample_archs(halving.draws, seed, lambda a: halving.fill * limit <= table.predict(a) <= limit,
                            space=space, distinct=True, at_least=halving.candidates)
    except ValueError as err:
        raise ConfigError(f"search.hardware_aware.halving.fill: {halving.fill} leaves too few nets of the space between "
                          f"{halving.fill * limit:.3f} and {limit:.3f} ms ({err}); lower it, or search.hardware_aware.halving.draws") from err
    probe = np.random.default_rng(seed).choice(train_idx, 64, replace=False)
    images, labels = BatchedImages(train, np.sort(probe), mean, std)[np.arange(64)]
    population: list[dict[str, Any]] = []

    def fresh(arch: dict[str, Any]) -> nn.Module:
        torch.manual_seed(seed)
        return hardware_aware(space).build_net(arch, num_classes=len(train.classes))

    asked = needed(halving.prerank)  # none: no score, so no net is built for it
    desc = f"pre-rank ({halving.prerank}) of the drawn nets" if asked else "the drawn nets' predicted latency"
    for arch in tqdm(pool, desc=desc, mininterval=5):
        population.append({"arch": arch, "predicted_ms": table.predict(arch),
                           "predicted_fp32_ms": table.predict(arch, "fp32"),
                           "scores": cheap_scores(fresh(arch), images, labels, asked) if asked else {}, "rounds": []})
    alive = [int(i) for i in ranking([c["scores"] for c in population], halving.prerank)[:halving.candidates]]
    for rank, i in enumerate(alive):
        population[i]["prerank"] = rank + 1
        population[i]["scores"] = cheap_scores(fresh(population[i]["arch"]), images, labels)
    prerank_seconds = time.time() - start
    plan = fidelity_rounds(halving.images, halving.eta, len(alive), len(train_idx), halving.max_images)
    score_idx = held_out(train_idx, val_idx, seed, max(images for images, _ in plan))
    log = TrialLog(Path(workdir) / "trials.jsonl",
                   dict(budget=limit, halving=asdict(halving), recipe=asdict(recipe), split=asdict(split),
                        images=list(train.x.shape), classes=train.classes, table=table.correction,
                        hardware=str(hardware)))
    stability = []
    for r, (size, epochs) in enumerate(plan):
        for i in alive:
            row = log.done.get((r, i))
            if row is None:
                began = time.time()
                accuracy = short_training_accuracy(population[i]["arch"], train, train_idx, score_idx, mean, std, recipe,
                                                   images=size, epochs=epochs, seed=seed, workdir=Path(workdir) / "trial",
                                                   hardware=hardware, space=space)
                row = {"round": r, "candidate": i, "images": size, "epochs": epochs, "accuracy": accuracy,
                       "seconds": round(time.time() - began, 1)}
                log.add(row)
            population[i]["rounds"].append({k: row[k] for k in ("images", "epochs", "accuracy", "seconds")})
            print(f"round {r + 1}/{len(plan)} ({epochs} epoch(s) on {size} images): candidate {i} (pre-rank "
                  f"{population[i]['prerank']}) {row['accuracy']:.4f}, predicted {population[i]['predicted_ms']:.3f} ms",
                  flush=True)
        if r:
            previous = [population[i]["rounds"][r - 1]["accuracy"] for i in alive]
            current = [population[i]["rounds"][r]["accuracy"] for i in alive]
            stability.append({"rounds": [r, r + 1], "candidates": len(alive),
                              "spearman": float(spearmanr(previous, current)[0]) if len(alive) > 2 else None})
        alive = sorted(alive, key=lambda i: -population[i]["rounds"][r]["accuracy"])
        if r + 1 < len(plan):
            alive = alive[:max(1, math.ceil(len(alive) / halving.eta))]
    best = population[alive[0]]
    trials = log.done.values()
    for c in population:
        c["accuracy"] = c["rounds"][-1]["accuracy"] if c["rounds"] else None
    seconds = time.time() - start
    return SearchResult(
        space=space,
        space_settings=hardware_aware(space).settings(len(train.classes)),
        arch=best["arch"],
        search={"strategy": "successive halving over short trainings (hardware-aware)",
                **_budgeted(budget, best), **asdict(halving),
                "rounds": [images for images, _ in plan], "round_epochs": [epochs for _, epochs in plan],
                "val_images": int(len(score_idx)), "recipe": asdict(recipe), "seed": seed,
                "stability": stability, "seconds": round(seconds, 1), "prerank_seconds": round(prerank_seconds, 1),
                "images_per_s": round(sum(t["images"] * t["epochs"] for t in trials)
                                      / max(1e-9, sum(t["seconds"] for t in trials)), 2),
                "torch_threads": torch.get_num_threads(), "accelerator": hardware.accelerator,
                "precision": hardware.precision},
        metrics={"val_accuracy": best["accuracy"]},
        population=population,
    )
