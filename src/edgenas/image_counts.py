"""Has the data images enough for the config's trainings? Checked before any long job, from image counts alone.

Every stage caps its image counts at what the data has (the halving rounds, the SPOS supernet's
images), so a small custom data set runs with the default config, except where a training would
make too few optimiser steps to mean anything. Those are found here, all at once, in
milliseconds: right after the data stage on a first run (rule ``check_fit``), and when the
workflow is parsed once the data exists (``common.smk``), so a changed setting is refused before
any job. Light on purpose (no torch), since the workflow imports it to parse."""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from .errors import ConfigError

# torch's OneCycleLR divides by its warm-up's length, a quarter of the steps less one: 8 steps or more
ONE_CYCLE_STEPS = 8


def too_few_steps(epochs: int, batch_size: int, schedule: str, images: int, what: str = "train") -> str | None:
    """Why a training of ``epochs`` over ``images`` images cannot follow its schedule, or None."""
    steps = epochs * max(1, images // batch_size)
    if schedule != "onecycle" or steps >= ONE_CYCLE_STEPS:
        return None
    return (f"{what}: the one-cycle schedule (train.schedule) needs at least {ONE_CYCLE_STEPS} optimiser steps; "
            f"{epochs} epoch(s) of {images} images at batch {batch_size} (train.batch_size) make {steps}: train "
            "on more images or use a smaller train.batch_size")


def fidelity_rounds(first: int, eta: int, candidates: int, available: int, max_images: int) -> list[tuple[int, int]]:
    """(training images, epochs) per candidate in each round of the halving search: ``first``
    images seen, then eta times more, one round per halving while eta or more candidates are left
    (12 candidates, eta 2: rounds of 12, 6 and 3). A round trains on at most ``max_images`` images
    and beyond that its budget becomes more epochs over them, so the training images no round
    touches stay held out for scoring; data with fewer images than that trains on all it has."""
    rounds = max(1, math.floor(math.log(candidates, eta) + 1e-9)) if candidates > 1 else 1
    seen = [first * eta ** r for r in range(rounds)]
    return [(min(n, max_images, available), round(n / min(n, max_images))) for n in seen]


def spos_sizes(available: int, subset: int, val_images: int) -> tuple[int, int]:
    """The SPOS supernet's training images and the candidates' scoring images, from
    ``available``: the config's numbers as caps, at most a tenth held out for scoring."""
    val = min(val_images, available // 10)
    return min(subset, available - val), val


def spos_too_small(available: int, subset: int, batch_size: int) -> str:
    return (f"search.hardware_aware.spos: {available} training images leave {subset} for the supernet, fewer than one batch "
            f"(search.hardware_aware.spos.batch_size {batch_size}): lower the batch size or use more images")


def problems(config: dict[str, Any], train_images: int, val_images: int) -> list[str]:
    """What of ``config`` cannot train on ``train_images`` training and ``val_images`` validation
    images: the training recipe (the searched net and every control; fine-tuning's cosine
    schedule has no minimum) and the search's own trainings."""
    from .settings import Darts, Halving, Recipe, Spos

    t, search = Recipe.training(config), config["search"]
    found = [f"data.val_fraction: {train_images} training images leave no validation image"] if val_images < 1 else []
    found.append(too_few_steps(t.epochs, t.batch_size, t.schedule, train_images))
    all_images = train_images + val_images  # the SPOS and DARTS searches split the whole training set themselves
    if search["space"] != "darts" and search["hardware_aware"]["strategy"] == "halving":
        h = Halving.from_config(config)
        for images, epochs in dict.fromkeys(fidelity_rounds(h.images, h.eta, h.candidates, train_images, h.max_images)):
            found.append(too_few_steps(epochs, t.batch_size, t.schedule, images,
                                       f"search.hardware_aware.halving (a round on {images} images)"))
    elif search["space"] != "darts":
        spos = Spos.from_config(config)
        subset, _ = spos_sizes(all_images, spos.subset, spos.val_images)
        if subset < spos.batch_size:
            found.append(spos_too_small(all_images, subset, spos.batch_size))
    elif min((darts := Darts.from_config(config)).subset, all_images) // 2 < darts.batch_size:
        found.append(f"search.darts: {min(darts.subset, all_images)} images leave fewer than "
                     f"search.darts.batch_size ({darts.batch_size}) per half (weights / architecture)")
    return [p for p in found if p]


def check(config: dict[str, Any], train_images: int, val_images: int) -> None:
    """``problems``, raised as one ``ConfigError`` listing them all."""
    found = problems(config, train_images, val_images)
    if found:
        raise ConfigError(f"the data has {train_images} training and {val_images} validation images, too few for "
                          "these settings:\n- " + "\n- ".join(found))


def check_decoded(config: dict[str, Any], stats_path: str | Path) -> None:
    """``check`` against the data already decoded (``stats_path``, the data stage's stats.json), where it is
    the data this config reads: a changed setting is then refused while the workflow is parsed, before
    any job runs. Without it (a first run, or another data set) rule check_fit checks after decoding."""
    from .settings import Split

    path = Path(stats_path)
    if not path.exists():
        return
    stats = json.loads(path.read_text())
    if (stats["source"]["dataset"], stats["source"]["root"], stats["image_size"]) != (
            config["data"]["dataset"], str(config["data_root"]), config["data"]["image_size"]):
        return
    train, val = Split.from_config(config).indices(stats["images"]["train"])
    check(config, len(train), len(val))
