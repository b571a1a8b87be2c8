"""What the compression studies share: the run's models and data, and interleaved timing.

Timings of every model in a study are taken in rounds (each model once per round), so
drift in the machine's speed hits all of them alike, and ratios are taken within the run.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import onnxruntime as ort

from edgenas.data import ImageArrays, take
from edgenas.device import ondevice

ROOT = Path(__file__).resolve().parents[1]
# ONNX Runtime's static-quantization defaults: the reference INT8 of the studies
ORT_DEFAULTS = dict(format="qdq", per_channel=True, activation_type="uint8", weight_type="int8", reduce_range=False,
                    calibration_method="minmax", keep_fp32=[], pre_process=True)


class RunData:
    """Test images (a seeded subset) and calibration images of a finished workflow run."""

    def __init__(self, data_dir: str | Path, test_images: int, calibration: int, seed: int = 0):
        data_dir = Path(data_dir)
        missing = [p for p in ("stats.json", "train.npz", "test.npz") if not (data_dir / p).exists()]
        if missing:
            raise SystemExit(f"{data_dir}: {', '.join(missing)} missing; run the workflow first "
                             "(snakemake --cores 2) or pass --data")
        self.stats = json.loads((data_dir / "stats.json").read_text())
        self.test = take(ImageArrays.load(data_dir / "test.npz"), test_images, seed)
        train = ImageArrays.load(data_dir / "train.npz")
        idx = np.sort(np.random.default_rng(seed + 1).choice(len(train.y), calibration, replace=False))
        self.calibration = self.normalize(train.x[idx])
        self.inputs = self.normalize(self.test.x)

    def normalize(self, x: np.ndarray) -> np.ndarray:
        return ondevice.normalize(x, self.stats["mean"], self.stats["std"])

    def accuracy(self, model: str) -> float:
        logits = ondevice.predict(ondevice.open_session(model), self.inputs)
        return float((logits.argmax(1) == self.test.y).mean())


def session(model: str, threads: int, level: str = "all") -> ort.InferenceSession:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = {"disable": ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
                                     "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
                                     "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
                                     "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL}[level]
    return ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])


def interleaved_p50(sessions: dict[str, ort.InferenceSession], image: np.ndarray, rounds: int,
                    runs: int) -> dict[str, float]:
    """p50 batch-1 latency (ms) of each session, timed ``rounds`` times in turn."""
    times: dict[str, list[np.ndarray]] = {k: [] for k in sessions}
    for _ in range(rounds):
        for name, s in sessions.items():
            times[name].append(ondevice.latencies_ms(s, image, warmup=5, runs=runs))
    return {k: float(np.percentile(np.concatenate(v), 50)) for k, v in times.items()}


def threads_label(t: int) -> str:
    return f"{t or os.cpu_count()}t"


class Parts:
    """Finished parts of a benchmark, one JSON line each: (net, part) -> record, so a rerun after a
    crash continues where it stopped."""

    def __init__(self, path: Path):
        self.path = path
        self.done: dict[tuple[int | str, str], dict] = {}
        if path.exists():
            for line in path.read_text().splitlines():
                if line.strip():
                    row = json.loads(line)
                    self.done[(row["net"], row["part"])] = row

    def add(self, row: dict) -> None:
        self.done[(row["net"], row["part"])] = row
        with self.path.open("a") as f:
            f.write(json.dumps(row) + "\n")
