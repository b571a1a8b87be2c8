"""Every stage's settings, read from the config once: a frozen dataclass per stage, built by
``from_config`` in the workflow (``workflow/rules/common.smk``), the benchmarks and the tests, handed
to a job as plain values (``asdict``) and rebuilt there (``Recipe(**params.recipe)``).

No field has a default: the defaults live in ``config/config.yaml`` and the schema alone, so a caller
that forgets a setting fails instead of training another recipe. Torch-free, like the workflow that
reads it while parsing.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np

from .registry import HARDWARE_AWARE_SPACES


def _pick(cls: type, values: dict[str, Any], **more: Any) -> Any:
    """``cls`` from the config section ``values`` (its other keys ignored) and ``more``."""
    return cls(**{f.name: values[f.name] for f in fields(cls) if f.name not in more}, **more)


def split_indices(n: int, val_fraction: float, seed: int, limit: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Seeded train/val split of ``n`` training images; ``limit`` > 0 caps the train part."""
    perm = np.random.default_rng(seed).permutation(n)
    n_val = int(round(n * val_fraction))
    val, train = perm[:n_val], perm[n_val:]
    if limit > 0:
        train = train[:limit]
    return np.sort(train), np.sort(val)


@dataclass(frozen=True, kw_only=True)
class Split:
    """What defines the training and validation images (of train.npz): every stage that
    trains, calibrates or validates on them derives its indices from these three values."""

    seed: int
    val_fraction: float
    train_limit: int

    def indices(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        return split_indices(n, self.val_fraction, self.seed, self.train_limit)

    @classmethod
    def from_config(cls, config: dict[str, Any], train_limit: int | None = None) -> "Split":
        """The run's split; ``train_limit`` overrides the config's cap (a benchmark's)."""
        data = config["data"]
        return cls(seed=config["seed"], val_fraction=data["val_fraction"],
                   train_limit=data["train_limit"] if train_limit is None else train_limit)


@dataclass(frozen=True, kw_only=True)
class TestSubset:
    """The test images every accuracy is measured on (``data.load_test_subset``)."""

    seed: int
    limit: int

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "TestSubset":
        return cls(seed=config["seed"], limit=config["data"]["test_limit"])


@dataclass(frozen=True, kw_only=True)
class Recipe:
    """How a net is trained: SGD schedule, augmentation and losses (``train:``, and ``finetune:`` for
    fine-tuning). Stored in the checkpoint's meta, and part of the resume fingerprint."""

    epochs: int
    batch_size: int
    learning_rate: float
    momentum: float
    weight_decay: float
    schedule: str              # onecycle | cosine | triangular (airbench94's)
    label_smoothing: float
    cutout: int
    nesterov: bool
    translate: int | None      # random translation up to this many pixels (None: an eighth of the side)
    flip: str                  # random | alternating (airbench94's: each image mirrored every other epoch)
    bias_lr_scale: float       # batch-norm biases' rate x this, their weight decay / this (airbench94: 64)
    decay_biases: bool         # weight decay on biases and batch-norm parameters too (airbench94's)
    whiten_bias_epochs: int    # > 0: a whitening first layer's bias trains this many epochs, then freezes
    lookahead_steps: int       # > 0: airbench94's lookahead every this many steps
    lookahead_decay: float     # the slow weights' decay per sync at the end of training
    auxiliary_weight: float    # DARTS nets with an auxiliary head only
    distill_weight: float      # share of the loss distilled from a teacher (fine-tuning)
    temperature: float | None  # of that distillation (None: no teacher)

    @classmethod
    def training(cls, config: dict[str, Any]) -> "Recipe":
        """The recipe of the searched net and every control (``train:``): the auxiliary head's
        weight only where the searched space is DARTS's; no teacher."""
        train = config["train"]
        auxiliary = train["darts"]["auxiliary_weight"] if config["search"]["space"] == "darts" else 0.0
        return _pick(cls, train, auxiliary_weight=auxiliary, distill_weight=0.0, temperature=None)

    @classmethod
    def finetuning(cls, config: dict[str, Any]) -> "Recipe":
        """Fine-tuning's epochs, batch, rate and distillation with the rest of the training recipe;
        cosine from the start (trained weights want no warm-up) and no auxiliary head (pruning
        removed it)."""
        finetune = config["finetune"]
        return _pick(cls, config["train"], epochs=finetune["epochs"], batch_size=finetune["batch_size"],
                     learning_rate=finetune["learning_rate"], schedule="cosine", auxiliary_weight=0.0,
                     distill_weight=finetune["distill_weight"], temperature=finetune["temperature"])


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

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Darts":
        return _pick(cls, config["search"]["darts"])


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

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Spos":
        return _pick(cls, config["search"]["hardware_aware"]["spos"])


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

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Halving":
        return _pick(cls, config["search"]["hardware_aware"]["halving"])


@dataclass(frozen=True, kw_only=True)
class Prune:
    """Structured pruning's settings (``prune:``)."""

    importance: str          # l1 | l2 | bn_scale | lamp | fpgm | random
    ratio: float             # of every group's channels
    global_pruning: bool
    round_to: int            # channel counts kept multiples of this
    keep_layers: list[str]   # module names left unpruned

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Prune":
        return _pick(cls, config["prune"])


@dataclass(frozen=True, kw_only=True)
class Quantize:
    """ONNX Runtime's static INT8 settings (``quantize:``)."""

    format: str               # qdq | qoperator
    per_channel: bool
    activation_type: str      # uint8 | int8
    weight_type: str
    reduce_range: bool        # 7-bit weights
    calibration_method: str   # minmax | entropy | percentile
    keep_fp32: list[str]      # op types left in FP32
    pre_process: bool         # quant_pre_process first

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Quantize":
        return _pick(cls, config["quantize"])

    def kernels(self) -> dict[str, Any]:
        """What decides the INT8 graph's kernels (a latency table's): all but the calibration method,
        which changes scales only."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "calibration_method"}


@dataclass(frozen=True, kw_only=True)
class Demo:
    """The demo video's settings (``demo:``)."""

    frames: int
    fps: float
    top_k: int
    height: int
    card_seconds: float

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Demo":
        return _pick(cls, config["demo"])


# Each job's params: the slice of the config it reads, so that a change to any other key reruns nothing.

def search_section(config: dict[str, Any]) -> dict[str, Any]:
    """The search: section as a config file nests it, with the searched space's settings only (not the
    other space's, nor the other strategy's), so the report's copy of it loads back as config."""
    space = config["search"]["space"]
    if space not in HARDWARE_AWARE_SPACES:
        return {"space": space, space: config["search"][space]}
    aware = config["search"]["hardware_aware"]
    unused = {"halving": "spos", "spos": "halving"}[aware["strategy"]]
    return {"space": space, "hardware_aware": {k: v for k, v in aware.items() if k != unused}}


def search_settings(config: dict[str, Any]) -> dict[str, Any]:
    """The searched space and its settings, flat, as the search job reads them."""
    section = search_section(config)
    return {"space": section["space"], **next(v for k, v in section.items() if k != "space")}


def search_recipe(config: dict[str, Any]) -> dict[str, Any]:
    """The halving search's one-epoch trainings' recipe: the training recipe but its epochs (no other search reads it)."""
    halving = search_settings(config).get("strategy") == "halving"
    return {k: v for k, v in asdict(Recipe.training(config)).items() if k != "epochs"} if halving else {}


def search_split(config: dict[str, Any]) -> dict[str, Any]:
    """The training and validation images the halving search trains and scores on."""
    return asdict(Split.from_config(config)) if search_settings(config).get("strategy") == "halving" else {}


def darts_net(config: dict[str, Any]) -> dict[str, Any]:
    """The DARTS evaluation net's size (the searched net and its random controls); none for other spaces."""
    d = config["train"]["darts"]
    return {k: d[k] for k in ("width", "num_cells", "drop_path")} if config["search"]["space"] == "darts" else {}


def pruned_shape_settings(config: dict[str, Any]) -> dict[str, Any]:
    """What fixes the pruned net's shape where the lane plans it: the share removed and the rounding
    (the importance ranks channels; it does not change how many each group keeps)."""
    return {k: config["prune"][k] for k in ("ratio", "round_to")}


def latency_settings(config: dict[str, Any], space: str, device: dict | None = None) -> dict[str, Any]:
    """A latency table's: the deployed INT8 graph's kernels, the timing settings, and the device of a remote target."""
    settings = {"quantize": Quantize.from_config(config).kernels(), **config["latency"], "seed": config["seed"],
                "space": space}
    return dict(settings, device=device) if device is not None else settings


def final_budget_settings(config: dict[str, Any], device: dict | None = None) -> dict[str, Any]:
    """How the final model (and the planned shape) is timed on the search target: as the table times whole nets."""
    settings = {k: config["latency"][k] for k in ("threads", "warmup", "runs", "rounds")}
    settings = dict(settings, seed=config["seed"], quantize=Quantize.from_config(config).kernels())
    return dict(settings, device=device) if device is not None else settings


def bench_settings(config: dict[str, Any], declared: dict | None = None, device: dict | None = None,
                   emulated: bool = False) -> dict[str, Any]:
    """One target's benchmark: ONNX Runtime's threads on this machine (``declared`` None); on a remote target
    its device, its sample size (the target's own settings first) and the seed."""
    b = config["bench"]
    settings = {"warmup": b["warmup"], "runs": b["runs"], "rounds": b["rounds"]}
    if declared is None:
        return dict(settings, threads=b["threads"])
    settings = dict(settings, device_images=b["device_images"])
    settings.update({k: declared[k] for k in ("warmup", "runs", "rounds", "device_images") if k in declared})
    return dict(settings, device=device, seed=config["seed"], emulated=emulated)


def report_settings(config: dict[str, Any]) -> dict[str, Any]:
    """The config sections behind what the report shows (not the demo's, nor the devices')."""
    hardware_aware = config["search"]["space"] in HARDWARE_AWARE_SPACES
    b = config["bench"]
    return {**{k: config[k] for k in ("seed", "accelerator", "precision", "data", "train", "controls", "prune",
                                      "finetune", "quantize")},
            "search": search_section(config), **({"latency": config["latency"]} if hardware_aware else {}),
            "bench": {k: b[k] for k in ("targets", "threads", "warmup", "runs", "rounds")}}
