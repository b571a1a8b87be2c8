"""Training from scratch and fine-tuning, on PyTorch Lightning.

SGD with Nesterov momentum and a per-step cosine or one-cycle schedule, random crop
and flip (optionally cutout), label smoothing, optional auxiliary head, optional
distillation from a teacher (fine-tuning learns from the unpruned baseline). A checkpoint
is written every epoch under ``workdir``; a rerun after a crash resumes from it.
"""
from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch
from torch import nn
from torch.nn import functional as F

from .accel import Hardware, channels_last, contiguous, resolve
from .data import BatchedImages, ImageArrays, make_loader
from .resume import checkpoint_to_resume, finished


class ImageClassifier(pl.LightningModule):
    """Wraps a net with the recipe: loss, optimiser and schedule."""

    def __init__(self, net: nn.Module, *, learning_rate: float, momentum: float, weight_decay: float,
                 schedule: str, label_smoothing: float, auxiliary_weight: float,
                 teacher: nn.Module | None = None, distill_weight: float = 0.0, temperature: float = 4.0):
        super().__init__()
        self.net = net
        # in a list, so the teacher is neither trained, nor saved, nor switched to train mode by Lightning
        self._teacher = [teacher.eval().requires_grad_(False)] if teacher is not None and distill_weight > 0 else []
        self.distill_weight = distill_weight
        self.temperature = temperature
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.schedule = schedule
        self.auxiliary_weight = auxiliary_weight
        self.loss = nn.CrossEntropyLoss(label_smoothing=label_smoothing)

    def forward(self, x):
        return self.net(x)

    def on_fit_start(self):
        for teacher in self._teacher:
            channels_last(teacher.to(self.device))

    def distillation(self, x, logits):
        """Hinton et al.'s soft-target loss: KL between the temperature-softened outputs, scaled by T²."""
        with torch.no_grad():
            target = self._teacher[0](x)
        t = self.temperature
        return F.kl_div(F.log_softmax(logits / t, 1), F.log_softmax(target / t, 1), log_target=True,
                        reduction="batchmean") * t * t

    def training_step(self, batch, _):
        x, y = batch
        out = self.net(x)
        if isinstance(out, tuple):  # auxiliary head, training only
            logits, aux = out
            loss = self.loss(logits, y) + self.auxiliary_weight * self.loss(aux, y)
        else:
            logits, loss = out, self.loss(out, y)
        if self._teacher:
            w = self.distill_weight
            loss = (1 - w) * loss + w * self.distillation(x, logits)
        self.log("train_loss", loss, on_step=False, on_epoch=True, prog_bar=True)
        self.log("train_acc", (logits.argmax(1) == y).float().mean(), on_step=False, on_epoch=True, prog_bar=True)
        return loss

    def validation_step(self, batch, _):
        x, y = batch
        logits = self.net(x)
        self.log("val_loss", self.loss(logits, y), prog_bar=True)
        self.log("val_acc", (logits.argmax(1) == y).float().mean(), prog_bar=True)

    def configure_optimizers(self):
        decay, no_decay = [], []
        for p in self.net.parameters():
            (no_decay if p.ndim <= 1 else decay).append(p)
        opt = torch.optim.SGD([{"params": decay, "weight_decay": self.weight_decay},
                               {"params": no_decay, "weight_decay": 0.0}],
                              lr=self.learning_rate, momentum=self.momentum, nesterov=self.momentum > 0)
        steps = self.trainer.estimated_stepping_batches
        if self.schedule == "onecycle":
            sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=self.learning_rate, total_steps=steps,
                                                        pct_start=0.25, anneal_strategy="linear")
        else:
            sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}


class HistoryWriter(pl.Callback):
    """Appends one row per finished epoch to a CSV, so a resumed run keeps its curve."""

    FIELDS = ["epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr", "seconds", "images_per_s"]

    def __init__(self, path: Path, images_per_epoch: int):
        self.path = path
        self.images_per_epoch = images_per_epoch
        self._start, self._steps_end = time.time(), None

    def on_train_epoch_start(self, trainer, pl_module):
        self._start, self._steps_end = time.time(), None

    def on_validation_epoch_start(self, trainer, pl_module):
        self._steps_end = time.time()  # the epoch's training steps are done; throughput counts only them

    def on_train_epoch_end(self, trainer, pl_module):
        m = trainer.callback_metrics
        now = time.time()
        steps = (self._steps_end or now) - self._start
        row = {"epoch": trainer.current_epoch + 1, "lr": trainer.optimizers[0].param_groups[0]["lr"],
               "seconds": round(now - self._start, 2), "images_per_s": round(self.images_per_epoch / steps, 1)}
        row.update({k: float(m[k]) for k in ("train_loss", "train_acc", "val_loss", "val_acc") if k in m})
        new = not self.path.exists()
        with self.path.open("a", newline="") as f:
            writer = csv.DictWriter(f, self.FIELDS)
            if new:
                writer.writeheader()
            writer.writerow(row)


def fit(net: nn.Module, train: ImageArrays, train_idx, val_idx, mean: list[float], std: list[float], *,
        epochs: int, batch_size: int, learning_rate: float, momentum: float, weight_decay: float,
        schedule: str, label_smoothing: float, cutout: int, auxiliary_weight: float, seed: int,
        workdir: str | Path, hardware: Hardware = Hardware("cpu", "32-true"), teacher: nn.Module | None = None,
        distill_weight: float = 0.0, temperature: float = 4.0) -> list[dict[str, Any]]:
    """Train ``net`` in place. Returns the per-epoch history. With a ``teacher`` and
    ``distill_weight`` > 0 the loss mixes in distillation from the teacher's outputs.

    A checkpoint is kept in ``workdir`` every epoch: a rerun with the same settings after a
    crash resumes from it. The caller removes ``workdir`` (``resume.finished``) once the
    stage's outputs are saved."""
    workdir = Path(workdir)
    settings = dict(net=str(net), epochs=epochs, batch_size=batch_size, learning_rate=learning_rate,
                    momentum=momentum, weight_decay=weight_decay, schedule=schedule, label_smoothing=label_smoothing,
                    cutout=cutout, auxiliary_weight=auxiliary_weight, seed=seed, train=len(train_idx),
                    val=len(val_idx), hardware=str(hardware),
                    distill=dict(weight=distill_weight, temperature=temperature) if teacher is not None else None)
    last = checkpoint_to_resume(workdir, settings)
    pl.seed_everything(seed, workers=True)
    drop_last = len(train_idx) > batch_size
    train_loader = make_loader(BatchedImages(train, train_idx, mean, std, augment=True, cutout=cutout),
                               batch_size, shuffle=True, drop_last=drop_last, seed=seed, pin_memory=hardware.on_gpu)
    val_loader = make_loader(BatchedImages(train, val_idx, mean, std), max(batch_size, 256), shuffle=False,
                             pin_memory=hardware.on_gpu)
    images_per_epoch = len(train_idx) // batch_size * batch_size if drop_last else len(train_idx)
    module = ImageClassifier(net, learning_rate=learning_rate, momentum=momentum, weight_decay=weight_decay,
                             schedule=schedule, label_smoothing=label_smoothing, auxiliary_weight=auxiliary_weight,
                             teacher=teacher, distill_weight=distill_weight, temperature=temperature)
    history_path = workdir / "history.csv"
    channels_last(net)
    trainer = pl.Trainer(
        max_epochs=epochs, **hardware.trainer_kwargs(), default_root_dir=str(workdir),
        logger=False, log_every_n_steps=10, enable_model_summary=False,
        num_sanity_val_steps=0, limit_val_batches=1.0 if len(val_idx) else 0,
        # without a monitor, top-1 is the newest epoch: one last.ckpt, overwritten every epoch
        callbacks=[pl.callbacks.ModelCheckpoint(dirpath=str(workdir), filename="last", every_n_epochs=1,
                                                enable_version_counter=False),
                   HistoryWriter(history_path, images_per_epoch)],
    )
    trainer.fit(module, train_loader, val_loader if len(val_idx) else None,
                ckpt_path=str(last) if last else None, weights_only=True)
    contiguous(net).eval()
    with history_path.open() as f:
        rows = {int(r["epoch"]): r for r in csv.DictReader(f)}  # a resumed epoch keeps its last row
    return [rows[k] for k in sorted(rows)]


def _write_history(history: list[dict[str, Any]], path: str | Path) -> None:
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, HistoryWriter.FIELDS)
        writer.writeheader()
        writer.writerows(history)


def _train_and_save(net: nn.Module, spec: dict, train_npz: str, test_npz: str, stats: dict, recipe: dict,
                    split: dict, hardware: dict, workdir: str, out_model: str, out_history: str,
                    teacher: nn.Module | None = None) -> None:
    from .data import split_indices, take
    from .evaluate import predict_torch
    from .model import save_checkpoint

    train = ImageArrays.load(train_npz)
    test = take(ImageArrays.load(test_npz), split["test_limit"], split["seed"])
    train_idx, val_idx = split_indices(len(train.y), split["val_fraction"], split["seed"], split["train_limit"])
    history = fit(net, train, train_idx, val_idx, stats["mean"], stats["std"], **recipe, seed=split["seed"],
                  workdir=workdir, hardware=resolve(**hardware), teacher=teacher)
    net.cpu().eval()
    accuracy = float((predict_torch(net, test.x, stats["mean"], stats["std"]).argmax(1) == test.y).mean())
    print(f"test accuracy: {accuracy:.4f} on {len(test.y)} images")
    save_checkpoint(out_model, net, spec, test_accuracy=accuracy, mean=stats["mean"], std=stats["std"],
                    classes=stats["classes"], image_size=stats["image_size"])
    _write_history(history, out_history)
    finished(Path(workdir))


def train_baseline(genotype: str, train_npz: str, test_npz: str, stats: dict, recipe: dict, split: dict,
                   hardware: dict, workdir: str, out_model: str, out_history: str) -> None:
    """The searched cells in a fresh evaluation net, trained from scratch."""
    from .model import build_net
    from .search import read_genotype

    recipe = dict(recipe)
    if recipe["auxiliary_weight"] > 0 and stats["image_size"] < 32:
        raise ValueError("train.auxiliary_weight: the DARTS auxiliary head needs data.image_size >= 32")
    spec = {"arch": read_genotype(genotype)["arch"], "width": recipe.pop("width"),
            "num_cells": recipe.pop("num_cells"), "num_classes": len(stats["classes"]),
            "auxiliary": recipe["auxiliary_weight"] > 0, "drop_path": recipe.pop("drop_path")}
    _train_and_save(build_net(**spec), spec, train_npz, test_npz, stats, recipe, split, hardware, workdir,
                    out_model, out_history)


def train_control(name: str, train_npz: str, test_npz: str, stats: dict, recipe: dict, split: dict,
                  hardware: dict, workdir: str, out_model: str, out_history: str) -> None:
    """A control (``controls.py``) trained from scratch with the searched net's recipe: same epochs,
    batch, schedule and data. The DARTS-only parts (auxiliary head, drop-path) apply to the
    random-architecture controls alone."""
    from .controls import control_spec
    from .model import build_model

    recipe = dict(recipe)
    spec = control_spec(name, len(stats["classes"]), recipe.pop("width"), recipe.pop("num_cells"),
                        recipe["auxiliary_weight"] > 0 and stats["image_size"] >= 32, recipe.pop("drop_path"))
    if "family" in spec or not spec["auxiliary"]:
        recipe["auxiliary_weight"] = 0.0
    _train_and_save(build_model(spec), spec, train_npz, test_npz, stats, recipe, split, hardware, workdir,
                    out_model, out_history)


def finetune_pruned(pruned: str, teacher: str, train_npz: str, test_npz: str, stats: dict, recipe: dict,
                    base_recipe: dict, split: dict, hardware: dict, workdir: str, out_model: str,
                    out_history: str) -> None:
    """Recover the pruned net's accuracy: the training recipe with fine-tuning's epochs, batch and
    rate, on a cosine schedule, distilling from ``teacher`` (the unpruned baseline) when
    ``recipe["distill_weight"]`` > 0."""
    from .model import drop_auxiliary_head, load_checkpoint

    net, spec, _ = load_checkpoint(pruned)
    full = {k: base_recipe[k] for k in ("momentum", "weight_decay", "label_smoothing", "cutout")}
    # cosine from the start: weights that are already trained want no warm-up
    full.update(recipe, schedule="cosine", auxiliary_weight=0.0)
    mentor = drop_auxiliary_head(load_checkpoint(teacher)[0]) if recipe["distill_weight"] > 0 else None
    _train_and_save(net.train(), spec, train_npz, test_npz, stats, full, split, hardware, workdir,
                    out_model, out_history, teacher=mentor)
