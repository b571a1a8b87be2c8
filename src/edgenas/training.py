"""Training from scratch and fine-tuning, on PyTorch Lightning.

SGD with Nesterov (or plain) momentum and a per-step cosine, one-cycle or triangular schedule,
random translation and flip (optionally cutout), label smoothing, optional lookahead of the
weights, optional auxiliary head, optional distillation from a teacher (fine-tuning learns from
the unpruned baseline). airbench94's recipe is a setting of these keys
(config/presets/airbench.yaml). A checkpoint is written every epoch under ``workdir``; a rerun after a
crash resumes from it.
"""
from __future__ import annotations

import csv
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pytorch_lightning as pl
import torch
from torch import nn
from torch.nn import functional as F

from .accel import Hardware, channels_last, contiguous
from .data import BatchedImages, ImageArrays, make_loader
from .errors import ConfigError
from .image_counts import too_few_steps
from .resume import checkpoint_to_resume, sigterm_fails
from .runlog import duration
from .settings import Recipe


class ImageClassifier(pl.LightningModule):
    """Wraps a net with the recipe: loss, optimiser and schedule."""

    def __init__(self, net: nn.Module, recipe: Recipe, teacher: nn.Module | None = None):
        super().__init__()
        self.net = net
        self.recipe = recipe
        # in a list, so the teacher is neither trained, nor saved, nor switched to train mode by Lightning
        self._teacher = [teacher.eval().requires_grad_(False)] if teacher is not None and recipe.distill_weight > 0 else []
        self.loss = nn.CrossEntropyLoss(label_smoothing=recipe.label_smoothing)

    def forward(self, x):
        return self.net(x)

    def on_fit_start(self):
        for teacher in self._teacher:
            channels_last(teacher.to(self.device))

    def distillation(self, x, logits):
        """Hinton et al.'s soft-target loss: KL between the temperature-softened outputs, scaled by T²."""
        with torch.no_grad():
            target = self._teacher[0](x)
        t = self.recipe.temperature
        return F.kl_div(F.log_softmax(logits / t, 1), F.log_softmax(target / t, 1), log_target=True,
                        reduction="batchmean") * t * t

    def training_step(self, batch, _):
        x, y = batch
        out = self.net(x)
        if isinstance(out, tuple):  # auxiliary head, training only
            logits, aux = out
            loss = self.loss(logits, y) + self.recipe.auxiliary_weight * self.loss(aux, y)
        else:
            logits, loss = out, self.loss(out, y)
        if self._teacher:
            w = self.recipe.distill_weight
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
        r = self.recipe
        opt = torch.optim.SGD(parameter_groups(self.net, r), lr=r.learning_rate, momentum=r.momentum,
                              nesterov=r.nesterov and r.momentum > 0)
        steps = self.trainer.estimated_stepping_batches
        if r.schedule == "onecycle":
            sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=[g["lr"] for g in opt.param_groups],
                                                        total_steps=steps, pct_start=0.25, anneal_strategy="linear")
        elif r.schedule == "triangular":
            sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: triangle(step / steps))
        else:
            sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}


# airbench94's schedule: the rate climbs linearly from 0.2x to its peak over the first 23 % of the
# steps, then falls linearly to 0.07x at the last
TRIANGLE = (0.2, 0.23, 0.07)


def triangle(progress: float) -> float:
    """The triangular schedule's multiple of the peak rate at ``progress`` (0..1) of the steps."""
    start, peak_at, end = TRIANGLE
    if progress < peak_at:
        return start + (1 - start) * progress / peak_at
    return 1 + (end - 1) * (progress - peak_at) / (1 - peak_at)


def parameter_groups(net: nn.Module, recipe: Recipe) -> list[dict[str, Any]]:
    """SGD's parameter groups: weights decay; biases and batch-norm parameters decay only with
    ``decay_biases``; batch-norm biases train at ``bias_lr_scale`` times the rate, their decay
    divided by as much, so each step decays them alike (airbench94's scheme)."""
    norm_biases = {id(m.bias) for m in net.modules()
                   if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.bias is not None}
    weights, others, biases = [], [], []
    for p in net.parameters():
        (biases if id(p) in norm_biases else weights if p.ndim > 1 else others).append(p)
    small = recipe.weight_decay if recipe.decay_biases else 0.0
    groups = [{"params": weights, "weight_decay": recipe.weight_decay},
              {"params": others, "weight_decay": small},
              {"params": biases, "weight_decay": small / recipe.bias_lr_scale,
               "lr": recipe.learning_rate * recipe.bias_lr_scale}]
    return [g for g in groups if g["params"]]


class Lookahead(pl.Callback):
    """Lookahead as airbench94 runs it (Zhang et al. 2019, with a decay that grows over training):
    every ``steps`` optimiser steps the slow copy of the weights and buffers moves toward the
    trained (fast) ones, which then restart from it; at the end the net keeps the slow copy.
    The slow copy's decay at step t of T is ``decay * (t / T) ** 3``: none early (the slow copy
    follows), most at the end, where it averages the last, low-rate steps. The slow copy is
    checkpointed with the epoch, so a resumed run continues the same trajectory."""

    def __init__(self, steps: int, decay: float):
        self.steps, self.decay = steps, decay
        self.slow: list[torch.Tensor] | None = None

    @staticmethod
    def _fast(pl_module) -> list[torch.Tensor]:
        # state_dict() tensors share storage with the net's parameters and buffers
        return [t for t in pl_module.net.state_dict().values() if t.is_floating_point()]

    @torch.no_grad()
    def _sync(self, pl_module, decay: float) -> None:
        for slow, fast in zip(self.slow, self._fast(pl_module)):
            slow.lerp_(fast, 1 - decay)
            fast.copy_(slow)

    def on_fit_start(self, trainer, pl_module):
        fast = self._fast(pl_module)
        if self.slow is None:
            self.slow = [t.detach().clone() for t in fast]
        else:  # restored from the checkpoint, on whichever device it was loaded to
            self.slow = [s.to(t.device) for s, t in zip(self.slow, fast)]

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        step = trainer.global_step
        if step % self.steps == 0:
            self._sync(pl_module, self.decay * (step / trainer.estimated_stepping_batches) ** 3)

    def on_train_end(self, trainer, pl_module):
        self._sync(pl_module, 1.0)

    def state_dict(self) -> dict[str, Any]:
        return {"slow": self.slow}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.slow = state_dict["slow"]


class DataEpoch(pl.Callback):
    """Tells the training images which epoch it is (their alternating flip depends on it)."""

    def __init__(self, images: BatchedImages):
        self.images = images

    def on_train_epoch_start(self, trainer, pl_module):
        self.images.epoch = trainer.current_epoch


class FreezeWhiteningBias(pl.Callback):
    """airbench94's whitening layer's bias trains for the first ``epochs`` epochs, then freezes."""

    def __init__(self, epochs: int):
        self.epochs = epochs

    def on_train_epoch_start(self, trainer, pl_module):
        from .nets import Whitening

        for m in pl_module.net.modules():
            if isinstance(m, Whitening):
                m.bias.requires_grad_(trainer.current_epoch < self.epochs)


def quiet_lightning() -> None:
    """Lightning's start-up chatter (accelerator lines, a cloud-logging advertisement, a SLURM hint,
    its own deprecation notices) out of the logs a student reads: warnings and errors still show."""
    import logging
    import warnings

    for name in ("lightning", "lightning.pytorch", "lightning.fabric", "pytorch_lightning", "lightning_fabric"):
        logging.getLogger(name).setLevel(logging.WARNING)
    for message in (".*The `srun` command is available.*", ".*Checkpoint directory .* exists and is not empty.*",
                    ".*isinstance\\(treespec, LeafSpec\\)` is deprecated.*", ".*does not have many workers.*"):
        warnings.filterwarnings("ignore", message=message)


class EpochLine(pl.Callback):
    """One readable line per finished epoch, what ``tail -f logs/train.log`` shows: the losses and
    accuracies, the epoch's seconds and the time left for the training (from the epochs so far)."""

    def on_train_start(self, trainer, pl_module):
        self._began, self._first = time.time(), trainer.current_epoch

    def on_train_epoch_start(self, trainer, pl_module):
        self._epoch_began = time.time()

    def on_train_epoch_end(self, trainer, pl_module):
        m, now = trainer.callback_metrics, time.time()
        epoch, total = trainer.current_epoch + 1, trainer.max_epochs
        left = (now - self._began) / (epoch - self._first) * (total - epoch)
        parts = [f"{name} {kind} {float(m[key]):{fmt}}" for key, name, kind, fmt in (
            ("train_loss", "train", "loss", ".3f"), ("train_acc", "train", "accuracy", ".2%"),
            ("val_loss", "val", "loss", ".3f"), ("val_acc", "val", "accuracy", ".2%")) if key in m]
        print(f"epoch {epoch}/{total}: {', '.join(parts)}; {now - self._epoch_began:.0f} s; "
              f"{'about ' + duration(left) + ' left' if epoch < total else 'done'}", flush=True)


class HistoryWriter(pl.Callback):
    """Appends one row per finished epoch to a CSV, so a resumed run keeps its curve. Each row
    names the arithmetic it trained in (Lightning's precision): images/s and accuracy depend on it."""

    FIELDS = ["epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr", "seconds", "images_per_s", "precision"]

    def __init__(self, path: Path, images_per_epoch: int):
        self.path = path
        self.images_per_epoch = images_per_epoch
        self._start, self._steps_end, self._lr = time.time(), None, float("nan")

    def on_train_epoch_start(self, trainer, pl_module):
        self._start, self._steps_end = time.time(), None

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        self._lr = trainer.optimizers[0].param_groups[0]["lr"]  # the rate this step uses

    def on_validation_epoch_start(self, trainer, pl_module):
        self._steps_end = time.time()  # the epoch's training steps are done; throughput counts only them

    def on_train_epoch_end(self, trainer, pl_module):
        m = trainer.callback_metrics
        now = time.time()
        steps = (self._steps_end or now) - self._start
        row = {"epoch": trainer.current_epoch + 1, "lr": self._lr, "seconds": round(now - self._start, 2),
               "images_per_s": round(self.images_per_epoch / steps, 1), "precision": str(trainer.precision)}
        row.update({k: float(m[k]) for k in ("train_loss", "train_acc", "val_loss", "val_acc") if k in m})
        new = not self.path.exists()
        if not new:
            self._widen_header()
        with self.path.open("a", newline="") as f:
            writer = csv.DictWriter(f, self.FIELDS)
            if new:
                writer.writeheader()
            writer.writerow(row)

    def _widen_header(self) -> None:
        """A run resumed from an older version's checkpoint: its CSV lacks the newer columns."""
        with self.path.open(newline="") as f:
            reader = csv.DictReader(f)
            rows, header = list(reader), reader.fieldnames or []
        if header != self.FIELDS:
            with self.path.open("w", newline="") as f:
                writer = csv.DictWriter(f, self.FIELDS)
                writer.writeheader()
                writer.writerows(rows)


def train_net(net: nn.Module, train: ImageArrays, train_idx: np.ndarray, val_idx: np.ndarray, recipe: Recipe, *,
        seed: int, workdir: str | Path,
        hardware: Hardware = Hardware("cpu", "32-true"), teacher: nn.Module | None = None,
        callbacks: list[pl.Callback] = ()) -> list[dict[str, Any]]:
    """Train ``net`` in place with ``recipe``; returns the per-epoch history. With a ``teacher``
    and ``recipe.distill_weight`` > 0 the loss mixes in distillation from the teacher's outputs.
    ``callbacks`` are further Lightning callbacks (a benchmark's probes).

    A checkpoint is kept in ``workdir`` every epoch: a rerun with the same settings after a
    crash resumes from it. The caller removes ``workdir`` (``resume.finished``) once the
    stage's outputs are saved."""
    workdir = Path(workdir)
    settings = dict(net=str(net), recipe=asdict(recipe), seed=seed, train=len(train_idx), val=len(val_idx),
                    hardware=str(hardware), teacher=teacher is not None and recipe.distill_weight > 0)
    last = checkpoint_to_resume(workdir, settings)
    quiet_lightning()
    pl.seed_everything(seed, workers=True)
    b = recipe.batch_size
    drop_last = len(train_idx) > b
    problem = too_few_steps(recipe.epochs, recipe.batch_size, recipe.schedule, len(train_idx))
    if problem:
        raise ConfigError(problem)
    images = BatchedImages(train, train_idx, augment=True, cutout=recipe.cutout,
                           translate=recipe.translate, flip=recipe.flip, seed=seed)
    train_loader = make_loader(images, b, shuffle=True, drop_last=drop_last, seed=seed, pin_memory=hardware.on_gpu)
    val_loader = make_loader(BatchedImages(train, val_idx), max(b, 256), shuffle=False,
                             pin_memory=hardware.on_gpu)
    images_per_epoch = len(train_idx) // b * b if drop_last else len(train_idx)
    module = ImageClassifier(net, recipe, teacher)
    history_path = workdir / "history.csv"
    channels_last(net)
    trainer = pl.Trainer(
        max_epochs=recipe.epochs, **hardware.trainer_kwargs(), default_root_dir=str(workdir),
        logger=False, log_every_n_steps=10, enable_model_summary=False,
        enable_progress_bar=sys.stderr.isatty(),  # bars on a terminal; a log gets EpochLine's one line per epoch
        num_sanity_val_steps=0, limit_val_batches=1.0 if len(val_idx) else 0,
        # without a monitor, top-1 is the newest epoch: one last.ckpt, overwritten every epoch
        callbacks=[pl.callbacks.ModelCheckpoint(dirpath=str(workdir), filename="last", every_n_epochs=1,
                                                enable_version_counter=False),
                   HistoryWriter(history_path, images_per_epoch), DataEpoch(images), EpochLine(),
                   *([Lookahead(recipe.lookahead_steps, recipe.lookahead_decay)] if recipe.lookahead_steps else []),
                   *([FreezeWhiteningBias(recipe.whiten_bias_epochs)] if recipe.whiten_bias_epochs else []),
                   *callbacks],
    )
    with sigterm_fails(workdir):
        trainer.fit(module, train_loader, val_loader if len(val_idx) else None,
                    ckpt_path=str(last) if last else None, weights_only=True)
    contiguous(net).eval()
    with history_path.open() as f:
        rows = {int(r["epoch"]): r for r in csv.DictReader(f)}  # a resumed epoch keeps its last row
    return [rows[k] for k in sorted(rows)]
