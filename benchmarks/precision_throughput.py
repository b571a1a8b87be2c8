"""Training images/s in fp32 against bf16 autocast, through the workflow's own training stage.

    python benchmarks/precision_throughput.py [--checkpoint results/models/baseline.pt]
        [--net resnet20 mobilenetv2 darts mobile dense] [--steps 25] [--threads 1]

Why ``precision: auto`` trains in bf16 autocast on a CPU that multiplies bf16 natively
(``edgenas.accel.cpu_has_bf16``: AVX512-BF16 or AMX) and in fp32 elsewhere: oneDNN's bf16
convolutions do twice the multiplies per instruction there, but not every layer gains (depthwise
convolutions, element-wise work and the conversions around them). Each net runs two epochs of
``--steps`` steps of ``edgenas.training.train_net`` (Lightning, as the train rule runs it, the config's
recipe) in each precision, the pair alternating twice in this one run; the second epoch's
images/s is the steady rate. ``mobile`` and ``dense`` are the first random net of that space
(the first NNI's sampler draws with seed 1), ``darts`` the DARTS-V2 cells at the config's evaluation
width. Throughput does not depend on pixel values, so seeded random images stand in for CIFAR-10.
Run it alone on the machine: anything else running shares the cores being measured.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
import yaml
from throughput_common import cifar_shaped, load_arch

from edgenas.accel import Hardware, cpu_has_bf16
from edgenas.training import train_net
from edgenas.model import build_model, load_checkpoint
from edgenas.search.latency import sample_archs
from edgenas.settings import Recipe

ROOT = Path(__file__).resolve().parents[1]
PRECISIONS = ("32-true", "bf16-mixed")


def spec_of(name: str, config: dict) -> dict:
    """What ``build_model`` rebuilds the named net from (a checkpoint's architecture, untrained)."""
    if name.endswith(".pt"):
        return load_checkpoint(name)[1]
    if name in ("mobile", "dense"):
        return {"family": name, "arch": sample_archs(1, seed=1, space=name)[0], "num_classes": 10}
    if name == "darts":
        darts = config["train"]["darts"]
        return {"family": "darts", "arch": load_arch(None), "width": darts["width"], "num_cells": darts["num_cells"],
                "num_classes": 10}
    return {"family": name, "num_classes": 10}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoint", help="also time this checkpoint's architecture (e.g. the run's baseline.pt)")
    parser.add_argument("--net", nargs="+", default=["dense", "resnet20", "mobilenetv2", "darts", "mobile"])
    parser.add_argument("--steps", type=int, default=25, help="training steps per epoch (at least 4: the one-cycle schedule)")
    parser.add_argument("--threads", type=int, default=1, help="PyTorch threads (the workflow trains two nets at 1 each)")
    parser.add_argument("--batch-size", type=int, help="images per step (default: the config's train.batch_size)")
    parser.add_argument("--config", default=str(ROOT / "config/config.yaml"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    config = yaml.safe_load(Path(args.config).read_text())
    recipe = replace(Recipe.training(config), epochs=2)
    if args.batch_size:
        recipe = replace(recipe, batch_size=args.batch_size)
    arrays = cifar_shaped(recipe.batch_size * args.steps)
    idx = np.arange(len(arrays.y))
    print(f"native bf16 on this CPU: {cpu_has_bf16()}; torch {torch.__version__}, {args.threads} thread(s), "
          f"batch {recipe.batch_size}, {args.steps} steps per epoch")
    names = ([args.checkpoint] if args.checkpoint else []) + args.net
    print(f"{'net':<28} {'fp32 images/s':>14} {'bf16 images/s':>14} {'bf16 / fp32':>12}")
    for name in names:
        spec = spec_of(name, config)
        rates: dict[str, list[float]] = {p: [] for p in PRECISIONS}
        for precision in PRECISIONS * 2:
            net = build_model(spec, seed=0)
            with tempfile.TemporaryDirectory() as tmp:
                history = train_net(net, arrays, idx, idx[:0], recipe, seed=0, workdir=tmp,
                              hardware=Hardware("cpu", precision))
            rates[precision].append(float(history[-1]["images_per_s"]))
        fp32, bf16 = (statistics.median(rates[p]) for p in PRECISIONS)
        label = Path(name).stem if name.endswith(".pt") else name
        print(f"{label:<28} {fp32:14.1f} {bf16:14.1f} {bf16 / fp32:11.2f}x", flush=True)


if __name__ == "__main__":
    main()
