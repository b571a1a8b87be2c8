"""SPOS (single-path one-shot; Guo et al. 2020) and regularized evolution (Real et al. 2019) on a
hardware-aware space, under the target's latency budget: a supernet trained one sampled path per
batch (NNI's ``RandomOneShot``), then candidates scored with its weights. For a GPU: on a CPU's
minutes the supernet's ranking is noise (``benchmarks/search_signal.py``)."""
from __future__ import annotations

import math
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytorch_lightning as pl
import torch
from torch import nn

from ..accel import Hardware, StepTimer, channels_last
from ..data import BatchedImages, ImageArrays, make_loader
from ..errors import ConfigError
from ..image_counts import spos_sizes, spos_too_small
from ..resume import checkpoint_to_resume, finished, sigterm_fails
from ..settings import Spos
from .common import budgeted, check_budget, check_table
from .genotype import SearchResult
from .latency import Budget, LatencyTable
from .spaces import hardware_aware


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


def _spos_images(train: ImageArrays, *, spos: Spos,
                 seed: int) -> tuple[BatchedImages, BatchedImages]:
    """The supernet's training images and the other training images candidates are scored on:
    ``spos.subset`` and ``spos.val_images`` are caps, on a small data set a tenth is held out and the
    rest trains (``spos_sizes``)."""
    idx = np.random.default_rng(seed).permutation(len(train.y))
    subset, val_images = spos_sizes(len(idx), spos.subset, spos.val_images)
    if subset < spos.batch_size:
        raise ConfigError(spos_too_small(len(idx), subset, spos.batch_size))
    return (BatchedImages(train, np.sort(idx[:subset]), augment=True),
            BatchedImages(train, np.sort(idx[subset:subset + val_images])))


def train_supernet(train: ImageArrays, *, table: LatencyTable, budget: float,
                   spos: Spos, seed: int, workdir: str | Path,
                   hardware: Hardware = Hardware("cpu", "32-true")) -> tuple[nn.Module, dict[str, float]]:
    """SPOS's supernet (weights shared by every path), trained one sampled path per batch (NNI's
    ``RandomOneShot``) with ``spos``'s epochs, batch, images and rate, sampling only architectures the
    target's latency table puts within ``budget`` (ms, INT8, batch 1). Returns the trained space, from
    which ``space.freeze(arch)`` takes any net with its inherited weights, and the training's seconds
    and images/s. Its epoch checkpoint stays in ``workdir/checkpoints`` until the caller calls ``finished``."""
    from nni.nas.evaluator.pytorch import Classification, DataLoader
    from nni.nas.experiment import NasExperiment
    from nni.nas.oneshot.pytorch.profiler import RangeProfilerFilter
    from nni.nas.strategy import RandomOneShot

    workdir = Path(workdir).resolve()
    checkpoints = workdir / "checkpoints"
    subset, val_images = spos_sizes(len(train.y), spos.subset, spos.val_images)  # the caps met
    epochs, batch_size, learning_rate = spos.epochs, spos.batch_size, spos.learning_rate
    settings = dict(latency_ms=budget, epochs=epochs, batch_size=batch_size, subset=subset, val_images=val_images,
                    learning_rate=learning_rate, weight_decay=spos.weight_decay, seed=seed, images=list(train.x.shape),
                    classes=train.classes, table=table.correction, hardware=str(hardware))
    last = checkpoint_to_resume(checkpoints, settings)
    pl.seed_everything(seed, workers=True)
    check_table(table, train)
    weights_part, held_out = _spos_images(train, spos=spos, seed=seed)
    space = channels_last(hardware_aware(table.space).space(len(train.classes)))
    timer, pin = StepTimer(), hardware.on_gpu
    evaluator = Classification(
        learning_rate=learning_rate, weight_decay=spos.weight_decay, optimizer=NesterovSGD,
        train_dataloaders=make_loader(weights_part, batch_size, shuffle=True, drop_last=True, loader_cls=DataLoader, seed=seed, pin_memory=pin),
        val_dataloaders=make_loader(held_out, 256, shuffle=False, loader_cls=DataLoader, pin_memory=pin),
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


def supernet_batches(train: ImageArrays, *, spos: Spos,
                     seed: int) -> tuple[list, list]:
    """What a candidate is scored with on the supernet: ``spos.bn_batches`` training batches that
    re-estimate its batch-norm statistics, and the held-out images it is scored on."""
    weights_part, held_out = _spos_images(train, spos=spos, seed=seed)
    calibration = [batch for batch, _ in zip(make_loader(weights_part, spos.batch_size, shuffle=True, drop_last=True, seed=seed + 1),
                                             range(spos.bn_batches))]
    return calibration, list(make_loader(held_out, 500, shuffle=False))


def search_spos(train: ImageArrays, *, table: LatencyTable,
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

    check_budget(table, budget)
    workdir = Path(workdir).resolve()
    subset, val_images = spos_sizes(len(train.y), spos.subset, spos.val_images)  # the caps met, as recorded
    space, supernet = train_supernet(train, table=table, budget=budget.latency_ms, spos=spos, seed=seed,
                                     workdir=workdir, hardware=hardware)
    calibration, validation = supernet_batches(train, spos=spos, seed=seed)
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
                **budgeted(budget, best), **asdict(spos), "images": subset, "val_images": val_images,
                "candidates": len(scored), "seed": seed,
                "seconds": round(supernet["seconds"] + time.time() - start, 1),
                "supernet_seconds": round(supernet["seconds"], 1), "evolution_seconds": round(time.time() - start, 1),
                "torch_threads": torch.get_num_threads(), "accelerator": hardware.accelerator,
                "precision": hardware.precision, "images_per_s": round(supernet["images_per_s"], 2)},
        metrics={"val_accuracy": best["accuracy"]},
        population=scored,
    )
