"""Architecture search with NNI 3.0, two ways; the result is a ``genotype.SearchResult``.

- ``search_darts``: NNI's DARTS cell space with its first-order DARTS strategy. The search
  images are halved, as in DARTS: one half trains the supernet weights, the other the
  architecture weights.
- ``search_hardware_aware``: the mobile space (``spaces.mobile``) with SPOS supernet training
  and regularized evolution, constrained by the target's measured latency table (``latency``).
"""
from __future__ import annotations

import math
import time
import warnings
from pathlib import Path

import numpy as np
import pytorch_lightning as pl
import torch
from torch import nn

from .accel import Hardware, StepTimer, channels_last
from .data import BatchedImages, ImageArrays, make_loader, split_indices
from .errors import ConfigError
from .genotype import SearchResult
from .latency import LatencyTable
from .resume import checkpoint_to_resume, finished, sigterm_fails
from .spaces import darts
from .spaces.mobile import settings as mobile_settings
from .spaces.mobile import space as mobile_space

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


def search_darts(train: ImageArrays, mean: list[float], std: list[float], *, width: int, num_cells: int,
                 epochs: int, batch_size: int, subset: int, learning_rate: float, arc_learning_rate: float,
                 weight_decay: float, gradient_clip: float, seed: int, workdir: str | Path,
                 hardware: Hardware = Hardware("cpu", "32-true")) -> SearchResult:
    """Run the DARTS search; returns the record written to genotype.json."""
    from nni.nas.evaluator.pytorch import Classification, DataLoader
    from nni.nas.experiment import NasExperiment
    from nni.nas.hub.pytorch import DARTS
    from nni.nas.strategy import DARTS as DartsStrategy

    workdir = Path(workdir).resolve()
    checkpoints = workdir / "checkpoints"
    last = checkpoint_to_resume(checkpoints, dict(
        width=width, num_cells=num_cells, epochs=epochs, batch_size=batch_size, subset=subset,
        learning_rate=learning_rate, arc_learning_rate=arc_learning_rate, weight_decay=weight_decay,
        gradient_clip=gradient_clip, seed=seed, images=list(train.x.shape), classes=train.classes,
        hardware=str(hardware)))
    pl.seed_everything(seed, workers=True)
    num_classes = len(train.classes)

    idx, _ = split_indices(len(train.y), 0.0, seed, limit=subset)
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
        learning_rate=learning_rate, weight_decay=weight_decay, optimizer=torch.optim.SGD,
        train_dataloaders=make_loader(weights_half, batch_size, True, True, DataLoader, seed, pin),
        val_dataloaders=make_loader(arch_half, batch_size, True, True, DataLoader, seed + 1, pin),
        max_epochs=epochs, num_classes=num_classes, **hardware.trainer_kwargs(),
        default_root_dir=str(workdir), logger=False, log_every_n_steps=1,
        # one last.ckpt, overwritten every epoch; a rerun after a crash resumes from it
        callbacks=[recorder, timer, pl.callbacks.ModelCheckpoint(dirpath=str(checkpoints), filename="last",
                                                          enable_version_counter=False)],
    )
    evaluator.fit_kwargs = {"ckpt_path": str(last), "weights_only": True} if last else {}
    strategy = DartsStrategy(arc_learning_rate=arc_learning_rate, gradient_clip_val=gradient_clip or None)
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
                "weight_decay": weight_decay, "gradient_clip": gradient_clip, "seed": seed,
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


def search_hardware_aware(train: ImageArrays, mean: list[float], std: list[float], *, table: LatencyTable,
                          latency_ms: float | None, latency_quantile: float | None, epochs: int, batch_size: int,
                          subset: int, val_images: int,
                          learning_rate: float, weight_decay: float, population: int, sample_size: int,
                          candidates: int, mutation_prob: float, bn_batches: int, seed: int, workdir: str | Path,
                          hardware: Hardware = Hardware("cpu", "32-true")) -> SearchResult:
    """SPOS on the mobile space, aware of the target's latency.

    1. The supernet (weights shared by every path) is trained one sampled path per batch (NNI's
       ``RandomOneShot``), sampling only architectures the target's latency table puts within
       the budget (INT8, batch 1): ``latency_ms``, or the ``latency_quantile`` of the space's
       predicted latency on the target (``latency.latency_budget``).
    2. Regularized evolution (NNI's ``RegularizedEvolution``) over the trained supernet: each
       candidate inherits its weights, gets its batch-norm statistics re-estimated and is scored
       on held-out training images; candidates over the budget are filtered out unscored.
    The best-scoring candidate is the result; every scored candidate is kept in the record."""
    import nni
    from nni.nas.evaluator import FunctionalEvaluator
    from nni.nas.evaluator.pytorch import Classification, DataLoader
    from nni.nas.experiment import NasExperiment
    from nni.nas.oneshot.pytorch.profiler import RangeProfilerFilter
    from nni.nas.strategy import RandomOneShot, RegularizedEvolution
    from nni.nas.strategy.middleware import Chain, Filter

    from .latency import latency_budget

    workdir = Path(workdir).resolve()
    budget = latency_budget(table, latency_ms, latency_quantile)
    checkpoints = workdir / "checkpoints"
    settings = dict(latency_ms=budget, epochs=epochs, batch_size=batch_size, subset=subset, val_images=val_images,
                    learning_rate=learning_rate, weight_decay=weight_decay, seed=seed, images=list(train.x.shape),
                    classes=train.classes, table=table.correction, hardware=str(hardware))
    last = checkpoint_to_resume(checkpoints, settings)
    pl.seed_everything(seed, workers=True)
    num_classes = len(train.classes)
    if table.num_classes != num_classes or table.image_size != train.x.shape[1]:
        raise ConfigError(f"the latency table of {table.target} is for {table.num_classes} classes at "
                         f"{table.image_size} px, the data has {num_classes} at {train.x.shape[1]} px: rebuild it")
    idx = np.random.default_rng(seed).permutation(len(train.y))
    if subset + val_images > len(idx) or subset < batch_size:
        raise ConfigError(f"search.mobile.subset ({subset}) + val_images ({val_images}) must fit in the "
                         f"{len(idx)} training images, with subset >= batch_size ({batch_size})")
    weights_part = BatchedImages(train, np.sort(idx[:subset]), mean, std, augment=True)
    held_out = BatchedImages(train, np.sort(idx[subset:subset + val_images]), mean, std)

    profiler = _table_profiler(table)
    within = RangeProfilerFilter(profiler, max=budget)
    space = channels_last(mobile_space(num_classes))
    timer, pin = StepTimer(), hardware.on_gpu
    evaluator = Classification(
        learning_rate=learning_rate, weight_decay=weight_decay, optimizer=NesterovSGD,
        train_dataloaders=make_loader(weights_part, batch_size, True, True, DataLoader, seed, pin),
        val_dataloaders=make_loader(held_out, 256, False, False, DataLoader, pin_memory=pin),
        max_epochs=epochs, num_classes=num_classes, **hardware.trainer_kwargs(), default_root_dir=str(workdir),
        logger=False, limit_val_batches=2, num_sanity_val_steps=0,
        callbacks=[timer, CosineRate(learning_rate),
                   pl.callbacks.ModelCheckpoint(dirpath=str(checkpoints), filename="last",
                                                enable_version_counter=False)],
    )
    evaluator.fit_kwargs = {"ckpt_path": str(last), "weights_only": True} if last else {}
    supernet = NasExperiment(space, evaluator, RandomOneShot(filter=within))
    supernet.config.experiment_working_directory = str(workdir / "nni")
    start = time.time()
    try:
        with sigterm_fails(checkpoints):
            supernet.run()
    finally:
        supernet.stop()
    supernet_seconds = time.time() - start
    if not (checkpoints / "last.ckpt").exists():
        raise RuntimeError("the supernet's training stopped before its first epoch ended (see the log above)")

    _weight_preserving_freeze()
    calibration = [batch for batch, _ in zip(make_loader(weights_part, batch_size, True, True, seed=seed + 1),
                                             range(bn_batches))]
    validation = list(make_loader(held_out, 500, False))
    scored: list[dict] = []

    def score(net: nn.Module) -> None:
        sample = nni.get_current_parameter().sample
        accuracy = recalibrated_accuracy(net, calibration, validation)
        scored.append({"arch": {str(k): v for k, v in sample.items()}, "accuracy": accuracy,
                       "predicted_ms": table.predict(sample), "predicted_fp32_ms": table.predict(sample, "fp32")})
        print(f"candidate {len(scored)}/{candidates}: validation accuracy {accuracy:.4f}, "
              f"predicted {scored[-1]['predicted_ms']:.3f} ms INT8", flush=True)
        nni.report_final_result(accuracy)

    evolution = Chain(RegularizedEvolution(population_size=population, sample_size=sample_size,
                                           mutation_prob=mutation_prob, seed=seed),
                      Filter(lambda model: within(model.sample), patience=100_000))
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
    finished(checkpoints)
    return SearchResult(
        space="mobile",
        space_settings=mobile_settings(num_classes),
        arch=best["arch"],
        search={"strategy": "SPOS + regularized evolution (hardware-aware)", "target": table.target,
                "latency_ms": budget, "latency_quantile": None if latency_ms is not None else latency_quantile,
                "threads": table.threads, "predicted_ms": best["predicted_ms"],
                "predicted_fp32_ms": best["predicted_fp32_ms"], "epochs": epochs, "batch_size": batch_size,
                "images": subset, "val_images": val_images, "learning_rate": learning_rate,
                "weight_decay": weight_decay, "population": population, "sample_size": sample_size,
                "candidates": len(scored), "mutation_prob": mutation_prob, "bn_batches": bn_batches, "seed": seed,
                "seconds": round(supernet_seconds + time.time() - start, 1),
                "supernet_seconds": round(supernet_seconds, 1), "evolution_seconds": round(time.time() - start, 1),
                "torch_threads": torch.get_num_threads(), "accelerator": hardware.accelerator,
                "precision": hardware.precision, "images_per_s": round(timer.images_per_s(), 2)},
        metrics={"val_accuracy": best["accuracy"]},
        population=scored,
    )
