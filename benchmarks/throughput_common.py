"""What the throughput benchmarks share: CIFAR-shaped images and the untuned reference pipeline.

The untuned reference is what a tutorial does: a torchvision-style data set that turns one
uint8 array into a PIL image per sample and runs per-sample transforms, batched by a
default DataLoader, into a contiguous (NCHW) fp32 net. Throughput does not depend on
pixel values, so seeded random images stand in for CIFAR-10 and the benchmarks need no data.
"""
from __future__ import annotations

import statistics
import time

import numpy as np
import torch
from PIL import Image
from torch import nn
from torch.utils.data import Dataset
from torchvision import transforms

from edgenas.data import ImageArrays
from edgenas.search.genotype import read_search_result
from edgenas.search.spaces.darts import DARTS_V2

CIFAR_MEAN = [0.4914, 0.4822, 0.4465]
CIFAR_STD = [0.2470, 0.2435, 0.2616]


def cifar_shaped(n: int, seed: int = 0) -> ImageArrays:
    """Random images of CIFAR-10's shape, normalised by CIFAR-10's statistics (as ``PerSampleImages``)."""
    rng = np.random.default_rng(seed)
    return ImageArrays(rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8), rng.integers(0, 10, n),
                       [str(c) for c in range(10)], CIFAR_MEAN, CIFAR_STD)


class PerSampleImages(Dataset):
    """torchvision.datasets.CIFAR10's __getitem__: uint8 array -> PIL -> per-sample transforms."""

    def __init__(self, arrays: ImageArrays, indices: np.ndarray):
        self.x, self.y = arrays.x[indices], arrays.y[indices]
        self.transform = transforms.Compose([
            transforms.RandomCrop(32, padding=4), transforms.RandomHorizontalFlip(), transforms.ToTensor(),
            transforms.Normalize(CIFAR_MEAN, CIFAR_STD)])

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i):
        return self.transform(Image.fromarray(self.x[i])), int(self.y[i])


class NCHWBatches(Dataset):
    """edgenas's batched augmentation with its batches in the default (NCHW) layout, to measure
    channels-last on its own."""

    def __init__(self, batches: Dataset):
        self.batches = batches

    def __len__(self) -> int:
        return len(self.batches)

    def __getitem__(self, idx):
        x, y = self.batches[idx]
        return x.contiguous(), y


def plain_loop(net: nn.Module, loader, steps: int, bf16: bool = False, warmup: int = 3) -> float:
    """Median images/s over ``steps`` SGD steps after ``warmup``; the loader's time is included."""
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)
    net.train()
    rates = []
    it = iter(loader)
    for step in range(warmup + steps):
        start = time.perf_counter()
        try:
            x, y = next(it)
        except StopIteration:
            it = iter(loader)
            x, y = next(it)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = loss_fn(net(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step >= warmup:
            rates.append(len(y) / (time.perf_counter() - start))
    return statistics.median(rates)


def load_arch(genotype: str | None) -> dict:
    """The searched cells from a genotype.json, or the DARTS paper's DARTS-V2 cells."""
    return read_search_result(genotype).arch if genotype else DARTS_V2


def print_table(rows: list[dict], reference: str) -> None:
    """One line per setting with images/s and the ratio to ``reference``, measured in this run."""
    base = next(r["images_per_s"] for r in rows if r["setting"] == reference)
    width = max(len(r["setting"]) for r in rows)
    print(f"{'setting':<{width}}  images/s  ratio vs {reference}")
    for r in rows:
        print(f"{r['setting']:<{width}}  {r['images_per_s']:8.1f}  {r['images_per_s'] / base:5.2f}x")
