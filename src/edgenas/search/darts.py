"""DARTS (Liu et al. 2019) on NNI's DARTS cell space, first order: the search images are halved,
one half training the supernet's weights, the other its architecture weights; the result is a
``genotype.SearchResult``."""
from __future__ import annotations

import time
from dataclasses import asdict
from pathlib import Path

import pytorch_lightning as pl
import torch
from torch import nn

from ..accel import Hardware, StepTimer, channels_last
from ..data import BatchedImages, ImageArrays, make_loader
from ..errors import ConfigError
from ..resume import checkpoint_to_resume, finished, sigterm_fails
from ..settings import Darts, split_indices
from .genotype import SearchResult
from .spaces import darts


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


def search_darts(train: ImageArrays, *, settings: Darts, seed: int,
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
    weights_half = BatchedImages(train, idx[:half], augment=True)
    arch_half = BatchedImages(train, idx[half:], augment=True)

    space = DARTS(width=width, num_cells=num_cells, dataset="cifar")
    if num_classes != space.num_labels:
        space.classifier = nn.Linear(space.classifier.in_features, num_classes)
    channels_last(space)
    recorder, timer = ArchWeightsRecorder(), StepTimer()
    pin = hardware.on_gpu
    evaluator = Classification(
        learning_rate=learning_rate, weight_decay=settings.weight_decay, optimizer=torch.optim.SGD,
        train_dataloaders=make_loader(weights_half, batch_size, shuffle=True, drop_last=True, loader_cls=DataLoader, seed=seed, pin_memory=pin),
        val_dataloaders=make_loader(arch_half, batch_size, shuffle=True, drop_last=True, loader_cls=DataLoader, seed=seed + 1, pin_memory=pin),
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
