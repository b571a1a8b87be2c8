"""Successive halving over short trainings (Jamieson & Talwalkar 2016; Li et al. 2018) under the
target's latency budget: nets drawn from NNI's space where they fill the budget, raced with the
workflow's own recipe and ``train_net`` at growing fidelities, so the search ranks by what the study judges."""
from __future__ import annotations

import math
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from ..accel import Hardware
from ..data import BatchedImages, ImageArrays
from ..errors import ConfigError
from ..image_counts import fidelity_rounds
from ..resume import finished
from ..runlog import duration
from ..settings import Halving, Recipe, Split
from .common import TrialLog, budgeted, check_budget, check_table
from .genotype import SearchResult
from .latency import Budget, LatencyTable
from .spaces import hardware_aware


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
                            recipe: Recipe, *, images: int, seed: int,
                            workdir: str | Path, hardware: Hardware = Hardware("cpu", "32-true"),
                            space: str = "mobile", epochs: int = 1) -> float:
    """The search's fidelity: a fresh net of ``arch`` (of the hardware-aware ``space``) trained
    ``epochs`` epochs with the workflow's recipe (its schedule compressed into them) on ``images``
    training images, top-1 on ``val_idx``. Every candidate gets the same initial seed, the same
    images (the first ``images`` of ``round_order``) and the same batch order."""
    from ..training import train_net
    from ..model import build_model

    order = round_order(train_idx, seed)[:images]
    net = build_model({"family": space, "arch": arch, "num_classes": len(train.classes)}, seed=seed)
    history = train_net(net, train, np.sort(order), val_idx, replace(recipe, epochs=epochs),
                  seed=seed, workdir=workdir, hardware=hardware)
    finished(Path(workdir))
    return float(history[-1]["val_acc"])


def search_halving(train: ImageArrays, *, table: LatencyTable,
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
       best 1/eta go on to ``eta`` times the training (``image_counts.fidelity_rounds``: more images up
       to ``max_images``, then more epochs over them), until the last round.
    Every candidate keeps its cheap scores and each round's accuracy in the record, with the rank
    correlation between consecutive rounds (how stable the ranking was)."""
    from scipy.stats import spearmanr
    from tqdm import tqdm

    from .latency import sample_archs
    from .proxies import cheap_scores, needed, ranking

    check_table(table, train)
    check_budget(table, budget)
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
    images, labels = BatchedImages(train, np.sort(probe))[np.arange(64)]
    population: list[dict[str, Any]] = []

    def fresh(arch: dict[str, Any]) -> nn.Module:
        torch.manual_seed(seed)
        return hardware_aware(space).build_net(arch, num_classes=len(train.classes))

    asked = needed(halving.prerank)  # none: no score, so no net is built for it
    desc = f"pre-rank ({halving.prerank}) of the drawn nets" if asked else "the drawn nets' predicted latency"
    for arch in tqdm(pool, desc=desc, mininterval=5, disable=None):  # a bar on a terminal only
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
    counts = [len(alive)]
    for _ in plan[1:]:
        counts.append(max(1, math.ceil(counts[-1] / halving.eta)))
    work_left = sum(n * size * epochs for n, (size, epochs) in zip(counts, plan))  # images x epochs still to train
    work_done, seconds_done = 0, 0.0
    for r, (size, epochs) in enumerate(plan):
        for i in alive:
            row = log.done.get((r, i))
            if row is None:
                began = time.time()
                accuracy = short_training_accuracy(population[i]["arch"], train, train_idx, score_idx, recipe,
                                                   images=size, epochs=epochs, seed=seed, workdir=Path(workdir) / "trial",
                                                   hardware=hardware, space=space)
                row = {"round": r, "candidate": i, "images": size, "epochs": epochs, "accuracy": accuracy,
                       "seconds": round(time.time() - began, 1)}
                log.add(row)
            population[i]["rounds"].append({k: row[k] for k in ("images", "epochs", "accuracy", "seconds")})
            work_left, work_done, seconds_done = work_left - size * epochs, work_done + size * epochs, seconds_done + row["seconds"]
            print(f"round {r + 1}/{len(plan)} ({epochs} epoch(s) on {size} images): candidate {i} (pre-rank "
                  f"{population[i]['prerank']}) {row['accuracy']:.4f}, predicted {population[i]['predicted_ms']:.3f} ms; "
                  f"{row['seconds']:.0f} s; about {duration(work_left * seconds_done / work_done)} left", flush=True)
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
                **budgeted(budget, best), **asdict(halving),
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
