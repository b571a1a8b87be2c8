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


def bench_local(target: str, models: dict[str, str], accuracy: dict[str, float], complexity: dict[str, dict],
                images: np.ndarray, mean, std, threads: list[int], warmup: int, runs: int) -> list[dict]:
    """Measure every stage model on this machine's CPU; one row per (stage, thread count).

    ``models`` maps stage name to its .onnx file; ``accuracy`` and ``complexity`` (params,
    MACs) come from the evaluate and prune stages.
    """
    system = ondevice.system_info()
    inputs = ondevice.normalize(images[:1], mean, std)
    rows = []
    for stage, path in models.items():
        for t in threads:
            session = ondevice.open_session(path, t)
            stats = ondevice.latency_stats(ondevice.latencies_ms(session, inputs[0], warmup, runs))
            rows.append({
                "target": target, "stage": stage, "format": "onnx-int8" if "int8" in Path(path).name else "onnx-fp32",
                "accuracy": accuracy[stage], **stats, "size_mb": os.path.getsize(path) / 1e6,
                "params": complexity[stage]["params"], "macs": complexity[stage]["macs"],
                "threads": t or os.cpu_count(), "cpu": system["cpu"], "os": system["os"],
                "onnxruntime": system["onnxruntime"],
            })
    return rows


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
