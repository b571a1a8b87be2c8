"""Per-stage benchmark table: latency at batch 1, throughput, size, accuracy, params, MACs."""
from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np

from . import ondevice

COLUMNS = ["target", "stage", "format", "accuracy", "latency_ms_mean", "latency_ms_p50", "latency_ms_p90",
           "latency_ms_p99", "throughput_ips", "size_mb", "params", "macs", "threads", "cpu", "os",
           "onnxruntime"]


def _row(target: str, stage: str, model: str, accuracy: float, timing: dict, complexity: dict,
         threads: int, system: dict) -> dict:
    return {"target": target, "stage": stage, "format": "onnx-int8" if "int8" in Path(model).name else "onnx-fp32",
            "accuracy": accuracy, **{k: timing[k] for k in COLUMNS if k in timing},
            "size_mb": os.path.getsize(model) / 1e6, "params": complexity["params"], "macs": complexity["macs"],
            "threads": threads, "cpu": system["cpu"], "os": system["os"], "onnxruntime": system["onnxruntime"]}


def bench_local(target: str, models: dict[str, str], accuracy: dict[str, float], complexity: dict[str, dict],
                images: np.ndarray, mean, std, threads: list[int], warmup: int, runs: int) -> list[dict]:
    """Measure every stage model on this machine's CPU; one row per (stage, thread count).

    ``models`` maps stage name to its .onnx file; ``accuracy`` (full test set) and
    ``complexity`` (params, MACs) come from the evaluate and prune stages.
    """
    system = ondevice.system_info()
    image = ondevice.normalize(images[:1], mean, std)[0]
    rows = []
    for stage, path in models.items():
        for t in threads:
            rows.append(_row(target, stage, path, accuracy[stage], ondevice.timing(path, image, t, warmup, runs),
                             complexity[stage], t or os.cpu_count(), system))
    return rows


def rows_from_device(target: str, result: dict, models: dict[str, str], complexity: dict[str, dict]) -> list[dict]:
    """Rows from ``ondevice.py``'s result on a remote device: its own accuracy, timings and system."""
    stage_of = {Path(path).name: stage for stage, path in models.items()}
    return [_row(target, stage_of[r["model"]], models[stage_of[r["model"]]], r["accuracy"], r,
                 complexity[stage_of[r["model"]]], r["threads"], result["system"]) for r in result["rows"]]


def write_rows(rows: list[dict], path: str | Path) -> None:
    """Write the CSV atomically: a failed run leaves no partial file."""
    path = Path(path)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", newline="") as f:
        writer = csv.DictWriter(f, COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})
    os.replace(tmp, path)
