"""Training throughput of the evaluation net: an untuned PyTorch loop against edgenas's training stage.

    python benchmarks/train_throughput.py [--genotype results/search/genotype.json] [--steps 20] [--compile]

Every row trains the same net (config/config.yaml's DARTS net width and cells and the train batch;
the searched cells if a DARTS genotype is given, else DARTS-V2) on the same CIFAR-shaped images, in
this run, and reports images/s through a full step (data, forward, backward, update) and the
ratio to the untuned loop. The levers are added one at a time, then the workflow's own
``edgenas.training.train_net`` (Lightning, as the train rule runs it) is measured. Channels-last
changes only the memory layout, not the arithmetic, so it cannot cost accuracy; bf16
autocast changes the arithmetic and is shown for the record (``precision: auto`` picks it by
``benchmarks/precision_throughput.py`` and the accuracy in docs/measurements.md, not by this row).
"""
from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
import yaml
from throughput_common import (
    PerSampleImages,
    cifar_shaped,
    load_arch,
    plain_loop,
    print_table,
)
from torch import nn
from torch.utils.data import DataLoader

from edgenas.accel import channels_last
from edgenas.training import train_net
from edgenas.data import BatchedImages, make_loader
from edgenas.search.spaces.darts import build_net
from edgenas.settings import Recipe

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--genotype", help="genotype.json (default: the DARTS paper's DARTS-V2 cells)")
    parser.add_argument("--config", default=str(ROOT / "config" / "config.yaml"))
    parser.add_argument("--steps", type=int, default=20, help="timed steps per setting")
    parser.add_argument("--compile", action="store_true", help="also time torch.compile (minutes to compile)")
    args = parser.parse_args()

    config = yaml.safe_load(Path(args.config).read_text())
    cfg = config["train"]
    recipe = replace(Recipe.training(config), epochs=2)
    cfg.update(width=cfg["darts"]["width"], num_cells=cfg["darts"]["num_cells"])
    batch, arch = cfg["batch_size"], load_arch(args.genotype)
    arrays = cifar_shaped(batch * (args.steps + 5))
    idx = np.arange(len(arrays.y))
    print(f"net: width {cfg['width']}, {cfg['num_cells']} cells, batch {batch}; torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads")

    def net(layout_nhwc: bool = False) -> nn.Module:
        torch.manual_seed(0)
        n = build_net(arch, width=cfg["width"], num_cells=cfg["num_cells"], num_classes=10)
        return channels_last(n) if layout_nhwc else n

    per_sample = DataLoader(PerSampleImages(arrays, idx), batch_size=batch, shuffle=True, drop_last=True)
    batched = make_loader(BatchedImages(arrays, idx, augment=True), batch, shuffle=True, drop_last=True, seed=0)
    batched_nchw = [(x.contiguous(), y) for x, y in batched]  # same batches, default layout
    rows = []

    def add(setting: str, rate: float) -> None:
        rows.append({"setting": setting, "images_per_s": rate})
        print(f"  {setting}: {rate:.1f} images/s", flush=True)

    add("untuned: per-sample PIL transforms, NCHW fp32", plain_loop(net(), per_sample, args.steps))
    add("+ batched in-memory augmentation", plain_loop(net(), batched_nchw, args.steps))
    add("+ channels-last", plain_loop(net(True), batched, args.steps))
    add("+ channels-last + bf16 autocast", plain_loop(net(True), batched, args.steps, bf16=True))
    add("batched, NCHW + bf16 autocast", plain_loop(net(), batched_nchw, args.steps, bf16=True))
    if args.compile:
        start = time.perf_counter()
        compiled = torch.compile(net(True))
        plain_loop(compiled, batched, 1, warmup=0)
        print(f"  torch.compile: {time.perf_counter() - start:.0f} s to compile forward and backward")
        add("+ channels-last + torch.compile", plain_loop(compiled, batched, args.steps))

    n_fit = batch * args.steps
    with tempfile.TemporaryDirectory() as tmp:  # two epochs; the second is the steady-state rate
        history = train_net(net(), arrays, idx[:n_fit], idx[:0], recipe, seed=0, workdir=tmp)
    add("edgenas train stage (Lightning, as the workflow runs it)", float(history[-1]["images_per_s"]))
    print()
    print_table(rows, rows[0]["setting"])


if __name__ == "__main__":
    main()
