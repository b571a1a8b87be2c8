"""Will the config's trainings fit the data? Checked right after the data stage, before any long job.

Every stage caps its image counts at what the data has (the halving rounds, the SPOS supernet's
images), so a small custom data set runs with the default config, except where a training would
have too few optimiser steps to mean anything. Those are found here, all at once, from the image
counts alone, in seconds, instead of one at a time when each stage starts."""
from __future__ import annotations

from typing import Any

from .errors import ConfigError
from .search import fidelity_images, spos_sizes, spos_too_small
from .train import Recipe, finetune_recipe, too_few_steps


def problems(train_images: int, val_images: int, *, train: dict[str, Any], finetune: dict[str, Any],
             search: dict[str, Any]) -> list[str]:
    """What cannot train on ``train_images`` training and ``val_images`` validation images: the
    ``train`` recipe (the searched net and every control), fine-tuning (``finetune``: the two
    dicts ``train.finetune_recipe`` takes), and the search (``search``: the searched space's
    settings, with the halving search's one-epoch ``recipe``)."""
    found = []
    if val_images < 1:
        found.append(f"data.val_fraction: {train_images} training images leave no validation image")
    found.append(too_few_steps(Recipe(**train), train_images))
    found.append(too_few_steps(finetune_recipe(**finetune), train_images, "finetune"))
    if search["space"] == "mobile" and search["strategy"] == "halving":
        h, recipe = search["halving"], Recipe(epochs=1, **search["recipe"])
        for images in dict.fromkeys(fidelity_images(h["images"], h["eta"], h["candidates"], train_images)):
            found.append(too_few_steps(recipe, images, f"search.mobile.halving (a round on {images} images)"))
    elif search["space"] == "mobile":
        spos = search["spos"]
        subset, _ = spos_sizes(train_images + val_images, spos["subset"], spos["val_images"])
        if subset < spos["batch_size"]:
            found.append(spos_too_small(train_images + val_images, subset, spos["batch_size"]))
    elif min(search["subset"], train_images + val_images) // 2 < search["batch_size"]:
        found.append(f"search.darts: {min(search['subset'], train_images + val_images)} images leave fewer than "
                     f"search.darts.batch_size ({search['batch_size']}) per half (weights / architecture)")
    return [p for p in found if p]


def check(train_images: int, val_images: int, **settings: Any) -> None:
    """``problems``, raised as one ``ConfigError`` listing them all."""
    found = problems(train_images, val_images, **settings)
    if found:
        raise ConfigError(f"the data has {train_images} training and {val_images} validation images, too few for "
                          "these settings:\n- " + "\n- ".join(found))
