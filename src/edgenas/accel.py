"""Where and how training runs: device, precision, memory layout, loader settings.

Search, training and fine-tuning share these choices, so a config that names ``device``
and ``precision`` runs the same rules on a laptop CPU, a GPU workstation or a cluster node.
"""
from __future__ import annotations

import os
import statistics
import time
from dataclasses import dataclass

import pytorch_lightning as pl
import torch
from torch import nn

from .errors import ConfigError


@dataclass(frozen=True)
class Hardware:
    """Lightning's accelerator and precision strings, resolved from the config."""

    accelerator: str  # "cpu" | "gpu"
    precision: str    # "32-true" | "bf16-mixed" | "16-mixed"

    @property
    def on_gpu(self) -> bool:
        return self.accelerator == "gpu"

    def trainer_kwargs(self) -> dict:
        # cudnn.benchmark picks the fastest convolution kernels for the fixed input shape
        return {"accelerator": self.accelerator, "devices": 1, "precision": self.precision,
                "benchmark": self.on_gpu}


def cpu_has_bf16() -> bool:
    """Whether this CPU multiplies bf16 natively (AVX512-BF16 or AMX), where oneDNN's bf16
    convolutions outrun fp32 (benchmarks/precision_throughput.py); elsewhere it emulates them."""
    return torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()


def resolve(device: str = "auto", precision: str = "auto", *, cpu_bf16: bool = True) -> Hardware:
    """``device``: auto (CUDA when present) | cpu | cuda. ``precision``: auto | 32 | bf16 | 16.

    ``auto`` precision is bf16 autocast on a GPU that has it, fp16 on an older GPU; on the CPU
    bf16 autocast where it multiplies bf16 natively (``cpu_has_bf16``; why: docs/decisions.md), else fp32. ``cpu_bf16``
    False keeps fp32 on the CPU: NNI's DARTS ends with NaN architecture weights under CPU bf16."""
    if device == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device: 'cuda' was asked for but torch sees no CUDA device")
    gpu = device == "cuda" or (device == "auto" and torch.cuda.is_available())
    if precision == "auto":
        if gpu:
            precision = "bf16" if torch.cuda.is_bf16_supported() else "16"
        else:
            precision = "bf16" if cpu_bf16 and cpu_has_bf16() else "32"
    if precision == "16" and not gpu:
        raise ConfigError("precision: '16' (fp16 autocast) needs a CUDA device; use '32' or 'bf16' on the CPU")
    return Hardware("gpu" if gpu else "cpu", {"32": "32-true", "bf16": "bf16-mixed", "16": "16-mixed"}[precision])


def use_cpu_threads(granted: int) -> int:
    """Set PyTorch's threads to the job's ``granted`` threads, at most the cores this process
    may run on: ``--cores`` above the machine's count (or a cluster job's CPUs) would leave
    threads waiting on each other (4 threads on the 2-core Xeon trained at 153 images/s, 2 at 176-211)."""
    threads = max(1, min(granted, len(os.sched_getaffinity(0))))
    torch.set_num_threads(threads)
    return threads


def channels_last(net: nn.Module) -> nn.Module:
    """NHWC weights: oneDNN's and cuDNN's fast convolution layout (2x here on the CPU)."""
    return net.to(memory_format=torch.channels_last)


def contiguous(net: nn.Module) -> nn.Module:
    """Back to the default layout before a net is saved, pruned or exported."""
    return net.to(memory_format=torch.contiguous_format)


class StepTimer(pl.Callback):
    """Images per second through a training step (median step time, after ``warmup`` steps).

    Counts the images of one batch per step; a DARTS step also moves an equal
    architecture batch through the supernet."""

    def __init__(self, warmup: int = 2):
        self.warmup = warmup
        self.steps: list[tuple[int, float]] = []
        self._start = 0.0

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        self._start = time.perf_counter()

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        if trainer.strategy.root_device.type == "cuda":
            torch.cuda.synchronize()
        self.steps.append((_batch_size(batch), time.perf_counter() - self._start))

    def images_per_s(self) -> float:
        timed = self.steps[self.warmup:] or self.steps
        if not timed:
            return float("nan")
        return statistics.median(n / s for n, s in timed)


def _batch_size(batch) -> int:
    """The image count of a (x, y) batch, or of the first loader's batch in NNI's combined batch."""
    while isinstance(batch, dict):
        batch = next(iter(batch.values()))
    while isinstance(batch, (list, tuple)) and not isinstance(batch[0], torch.Tensor):
        batch = batch[0]
    return len(batch[0]) if isinstance(batch, (list, tuple)) else len(batch)
