"""The workflow's training stages, each a job that reads the decoded data and writes a checkpoint and
its history: the searched net from scratch, each control (``controls``), the pruned net's fine-tuning.
The training itself is ``training.train_net``."""
from __future__ import annotations

import csv
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from torch import nn

from ..accel import Hardware
from ..data import BatchedImages, ImageArrays
from ..errors import ConfigError
from ..records import read_json
from ..resume import finished
from ..settings import Recipe, Split
from ..training import HistoryWriter, train_net


@dataclass(frozen=True, kw_only=True)
class TrainingJob:
    """Where a training stage reads and writes: data, split, hardware and files. ``workdir``
    keeps the epoch checkpoint a rerun resumes from."""

    train_npz: str
    stats: dict[str, Any]
    split: Split
    hardware: Hardware
    workdir: str
    out_model: str
    out_history: str


WHITENING_IMAGES = 5000  # airbench94 whitens on its first 5,000 training images (CIFAR's are in random order)


def initialise_from_data(net: nn.Module, spec: dict[str, Any], train: ImageArrays, train_idx: np.ndarray,
                         seed: int) -> nn.Module:
    """A fresh net's data-dependent start: airbench94's whitening layer from a seeded random
    5,000 of the split's training images (``nets.whiten_first_layer``; an ImageFolder
    loads sorted by class, so its first 5,000 would be one class); other nets as built."""
    if spec["family"] == "airbench94":
        from ..nets import whiten_first_layer

        some = np.random.default_rng(seed).permutation(train_idx)[:WHITENING_IMAGES]
        images, _ = BatchedImages(train, some)[np.arange(len(some))]
        whiten_first_layer(net, images)
    return net


def train_and_save(net: nn.Module, spec: dict[str, Any], job: TrainingJob, recipe: Recipe,
                   teacher: nn.Module | None = None, *, fresh: bool = True) -> None:
    """Fit ``net`` on the job's training split, then save it (with ``spec`` and the recipe) and its
    history. A ``fresh`` net first gets its data-dependent start (``initialise_from_data``)."""
    stats = job.stats
    train = ImageArrays.load(job.train_npz)
    train_idx, val_idx = job.split.indices(len(train.y))
    if fresh:
        initialise_from_data(net, spec, train, train_idx, seed=job.split.seed)
    history = train_net(net, train, train_idx, val_idx, recipe, seed=job.split.seed,
                  workdir=job.workdir, hardware=job.hardware, teacher=teacher)
    if history and history[-1].get("val_acc"):
        print(f"validation accuracy after {len(history)} epochs: {float(history[-1]['val_acc']):.4f} "
              f"on {len(val_idx)} images")
    save_trained(net, spec, stats, recipe, job.split, history, out_model=job.out_model, out_history=job.out_history)
    finished(Path(job.workdir))


def save_trained(net: nn.Module, spec: dict[str, Any], stats: dict[str, Any], recipe: Recipe, split: Split,
                 history: list[dict[str, Any]], *, out_model: str | Path, out_history: str | Path) -> None:
    """A trained net as the training stages keep it: the checkpoint (spec, preprocessing, classes,
    recipe and split as meta) and its per-epoch history CSV."""
    from ..model import save_checkpoint

    save_checkpoint(out_model, net.cpu().eval(), spec, mean=stats["mean"], std=stats["std"],
                    classes=stats["classes"], image_size=stats["image_size"], recipe=asdict(recipe),
                    split=asdict(split))
    with open(out_history, "w", newline="") as f:
        writer = csv.DictWriter(f, HistoryWriter.FIELDS)
        writer.writeheader()
        writer.writerows(history)


def darts_net_settings(darts_net: dict[str, Any], recipe: Recipe, image_size: int) -> dict[str, Any]:
    """The DARTS evaluation net's settings: width, cells, drop-path, and the auxiliary head when
    the recipe weights it (NNI's CIFAR head needs 8x8 maps, so images of at least 32 pixels)."""
    if recipe.auxiliary_weight > 0 and image_size < 32:
        raise ConfigError("train.darts.auxiliary_weight: the DARTS auxiliary head needs data.image_size >= 32")
    return dict(darts_net, auxiliary=recipe.auxiliary_weight > 0)


def searched_spec(search_result: str, num_classes: int, darts_net: dict[str, Any]) -> dict[str, Any]:
    """What rebuilds a search's pick (``model.build_model``): a DARTS net at the evaluation width
    and depth of ``darts_net`` (from ``darts_net_settings``)."""
    from ..search.genotype import read_search_result

    result = read_search_result(search_result)
    spec = {"family": result.space, "arch": result.arch, "num_classes": num_classes}
    return dict(spec, **darts_net) if result.space == "darts" else spec


def train_searched(job: TrainingJob, recipe: Recipe, *, search_result: str, darts_net: dict[str, Any]) -> None:
    """The searched architecture in a fresh net, trained from scratch -> baseline.pt."""
    from ..model import build_model

    settings = darts_net_settings(darts_net, recipe, job.stats["image_size"]) if darts_net else {}
    spec = searched_spec(search_result, len(job.stats["classes"]), settings)
    train_and_save(build_model(spec, seed=job.split.seed), spec, job, recipe)


def train_control(job: TrainingJob, recipe: Recipe, *, name: str, darts_net: dict[str, Any], space: str,
                  latency_table: str | None = None, budget: str | None = None, search_result: str | None = None,
                  pruned: str | None = None, pruned_shape: str | None = None) -> None:
    """A control (``controls.py``) trained from scratch with the searched net's recipe: same epochs,
    batch, schedule and data. ``nas_at_final`` is the pick of ``search_result`` (the search under the
    final model's latency); ``pruned_scratch`` the architecture of ``pruned`` with fresh weights
    (``model.scratch_copy``). The auxiliary head applies to random DARTS architectures alone, and
    only on images large enough for it."""
    from ..controls import control_spec
    from ..model import build_model, scratch_copy
    from ..search.latency import read_budget, read_latency_table

    if job.stats["image_size"] < 32:
        recipe = replace(recipe, auxiliary_weight=0.0)
    if name == "pruned_scratch" and pruned_shape:
        shape = read_json(pruned_shape)
        spec = {"family": shape["space"], "arch": shape["arch"], "num_classes": len(job.stats["classes"])}
        return train_and_save(build_model(spec, seed=job.split.seed), spec, job, replace(recipe, auxiliary_weight=0.0))
    if name == "pruned_scratch":
        net, spec = scratch_copy(pruned, seed=job.split.seed)
        return train_and_save(net, spec, job, replace(recipe, auxiliary_weight=0.0))
    table = read_latency_table(latency_table, space) if latency_table else None
    settings = darts_net_settings(darts_net, recipe, job.stats["image_size"]) if darts_net else {}
    if name == "nas_at_final":
        spec = searched_spec(search_result, len(job.stats["classes"]), settings)
    else:
        spec = control_spec(name, len(job.stats["classes"]), space=space, darts_net=settings, table=table,
                            budget=read_budget(budget) if budget else None)
    if spec["family"] != "darts" or not spec.get("auxiliary"):
        recipe = replace(recipe, auxiliary_weight=0.0)
    train_and_save(build_model(spec, seed=job.split.seed), spec, job, recipe)


def finetune_pruned(job: TrainingJob, recipe: Recipe, *, pruned: str, teacher: str) -> None:
    """Recover the pruned net's accuracy (``settings.Recipe.finetuning``), distilling from ``teacher`` (the
    unpruned baseline) when ``recipe.distill_weight`` > 0 -> finetuned.pt."""
    from ..model import drop_auxiliary_head, load_checkpoint

    net, spec, _ = load_checkpoint(pruned)
    mentor = drop_auxiliary_head(load_checkpoint(teacher)[0]) if recipe.distill_weight > 0 else None
    train_and_save(net.train(), spec, job, recipe, teacher=mentor, fresh=False)
