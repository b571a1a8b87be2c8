"""Search-step throughput: NNI's DARTS defaults against edgenas's DARTS stage and its hardware-aware (SPOS) stage.

    python benchmarks/search_throughput.py [--steps 10]

Every row runs NNI 3.0's DARTS strategy (first order) on NNI's DARTS space at the
config's search width and cell count, on the same CIFAR-shaped images, in this run.
"NNI defaults" is NNI's DARTS tutorial: a torchvision-style data set with per-sample PIL
transforms, NNI's DataLoader at batch 32, NCHW fp32. Then the levers one at a time, and
then ``edgenas.search.darts.search_darts`` as the search rule runs it. Images/s counts the
weight batch of a step; every DARTS step also moves an equal architecture batch through the
supernet. The last row is the supernet step of the hardware-aware search (NNI's RandomOneShot,
SPOS, on the mobile space at the default search batch): one sampled path per batch and one pass,
which is why the default search uses it (README, "why SPOS rather than DARTS").
"""
from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import torch
import yaml
from throughput_common import (
    NCHWBatches,
    PerSampleImages,
    cifar_shaped,
    print_table,
)

from edgenas.accel import StepTimer, channels_last
from edgenas.data import BatchedImages, make_loader
from edgenas.search.darts import search_darts
from edgenas.search.spaces.mobile import space as mobile_space
from edgenas.search.spos import CosineRate, NesterovSGD
from edgenas.settings import Darts

ROOT = Path(__file__).resolve().parents[1]


def nni_search(arrays, width: int, num_cells: int, steps: int, batch: int = 32, batched: bool = False,
               nhwc: bool = False, precision: str = "32-true") -> float:
    """Images/s of NNI's DARTS strategy; the defaults are NNI's tutorial pipeline, the flags are
    the levers measured one at a time (batched in-memory augmentation, channels-last, bf16)."""
    from nni.nas.evaluator.pytorch import Classification, DataLoader
    from nni.nas.experiment import NasExperiment
    from nni.nas.hub.pytorch import DARTS
    from nni.nas.strategy import DARTS as DartsStrategy

    half = len(arrays.y) // 2
    idx = np.arange(len(arrays.y))

    def loader(part, seed):
        if batched:
            data = BatchedImages(arrays, part, augment=True)
            return make_loader(data if nhwc else NCHWBatches(data), batch, shuffle=True, drop_last=True, loader_cls=DataLoader, seed=seed)
        return DataLoader(PerSampleImages(arrays, part), batch_size=batch, shuffle=True)

    space = DARTS(width=width, num_cells=num_cells, dataset="cifar")
    if nhwc:
        channels_last(space)
    timer = StepTimer(warmup=2)
    with tempfile.TemporaryDirectory() as tmp:
        evaluator = Classification(
            learning_rate=1e-3, weight_decay=1e-4, num_classes=10, max_epochs=1, limit_train_batches=steps + 2,
            train_dataloaders=loader(idx[:half], 0), val_dataloaders=loader(idx[half:], 1), precision=precision,
            callbacks=[timer], logger=False, enable_checkpointing=False, default_root_dir=tmp)
        experiment = NasExperiment(space, evaluator, DartsStrategy())
        experiment.config.experiment_working_directory = tmp
        try:
            experiment.run()
        finally:
            experiment.stop()
    return timer.images_per_s()


def spos_search(arrays, steps: int, batch: int) -> float:
    """Images/s of the hardware-aware search's supernet training (SPOS on the mobile space), batched
    augmentation and channels-last as the search rule runs it (no latency filter: the path
    sampled per step is uniform)."""
    from nni.nas.evaluator.pytorch import Classification, DataLoader
    from nni.nas.experiment import NasExperiment
    from nni.nas.strategy import RandomOneShot

    data = BatchedImages(arrays, np.arange(len(arrays.y)), augment=True)
    timer = StepTimer(warmup=2)
    with tempfile.TemporaryDirectory() as tmp:
        evaluator = Classification(
            learning_rate=0.1, weight_decay=4e-5, optimizer=NesterovSGD, num_classes=10, max_epochs=1,
            limit_train_batches=steps + 2, train_dataloaders=make_loader(data, batch, shuffle=True, drop_last=True, loader_cls=DataLoader, seed=0),
            val_dataloaders=make_loader(data, batch, shuffle=False, loader_cls=DataLoader), limit_val_batches=1,
            callbacks=[timer, CosineRate(0.1)], logger=False, enable_checkpointing=False, default_root_dir=tmp)
        experiment = NasExperiment(channels_last(mobile_space(10)), evaluator, RandomOneShot())
        experiment.config.experiment_working_directory = tmp
        try:
            experiment.run()
        finally:
            experiment.stop()
    return timer.images_per_s()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default=str(ROOT / "config" / "config.yaml"))
    parser.add_argument("--steps", type=int, default=6, help="timed steps per setting")
    args = parser.parse_args()
    search = yaml.safe_load(Path(args.config).read_text())["search"]
    cfg = search["darts"]
    print(f"supernet: width {cfg['width']}, {cfg['num_cells']} cells; torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads")

    steps, batch = args.steps, cfg["batch_size"]
    rows = []
    levers = [("NNI defaults (batch 32, per-sample transforms, NCHW fp32)", {}),
              ("+ batched in-memory augmentation", {"batched": True}),
              ("+ channels-last", {"batched": True, "nhwc": True}),
              (f"+ batch {batch}", {"batched": True, "nhwc": True, "batch": batch}),
              (f"+ batch {2 * batch}", {"batched": True, "nhwc": True, "batch": 2 * batch}),
              (f"+ batch {4 * batch}", {"batched": True, "nhwc": True, "batch": 4 * batch}),
              (f"batch {batch}, channels-last + bf16 autocast", {"batched": True, "nhwc": True, "batch": batch,
                                                                 "precision": "bf16-mixed"})]
    for name, lever in levers:
        b = lever.get("batch", 32)
        rate = nni_search(cifar_shaped(2 * b * (steps + 2)), cfg["width"], cfg["num_cells"], steps, **lever)
        rows.append({"setting": name, "images_per_s": rate})
        print(f"  {name}: {rate:.1f} images/s", flush=True)
    arrays = cifar_shaped(2 * batch * (steps + 2))
    with tempfile.TemporaryDirectory() as tmp:
        result = search_darts(arrays, settings=Darts(**{**cfg, "epochs": 1, "subset": len(arrays.y)}),
                              seed=0, workdir=tmp)
    rows.append({"setting": f"edgenas search stage (batch {batch}, batched augmentation, channels-last)",
                 "images_per_s": result.search["images_per_s"]})
    print(f"  {rows[-1]['setting']}: {rows[-1]['images_per_s']:.1f} images/s", flush=True)
    spos_batch = search["hardware_aware"]["spos"]["batch_size"]
    rows.append({"setting": f"edgenas hardware-aware search stage (SPOS supernet, mobile space, batch {spos_batch})",
                 "images_per_s": spos_search(cifar_shaped(spos_batch * (steps + 3)), steps, spos_batch)})
    print(f"  {rows[-1]['setting']}: {rows[-1]['images_per_s']:.1f} images/s", flush=True)
    print()
    print_table(rows, rows[0]["setting"])


if __name__ == "__main__":
    main()
