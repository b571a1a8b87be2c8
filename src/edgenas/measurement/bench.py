"""Per-stage benchmark table: latency at batch 1, throughput, size, accuracy, params, MACs,
and the attained MAC rate against the machine's own measured peak."""
from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np

from ..data import ImageArrays
from ..device import ondevice

COLUMNS = ["target", "model", "stage", "format", "accuracy", "test_images", "latency_ms_mean", "latency_ms_p50", "latency_ms_p90",
           "latency_ms_p99", "throughput_ips", "size_mb", "params", "macs", "gmacs_per_s", "peak_gmacs_per_s",
           "peak_fraction", "threads", "cpu", "isa", "os", "onnxruntime", "emulated", "host_accuracy", "host_agreement"]
TIMING_KEYS = ["latency_ms_mean", "latency_ms_p50", "latency_ms_p90", "latency_ms_p99", "throughput_ips"]
PEAK_SIZE = 512  # square matrix side: large enough for MLAS's GEMM kernels to reach their rate
FLIP_TTA = "_flip_tta"  # stage suffix of a row measured with flip test-time augmentation


def matmul_models(folder: str | Path, size: int = PEAK_SIZE) -> tuple[str, str]:
    """An FP32 MatMul and a u8 x s8 MatMulInteger of ``size``^3 MACs, for ``ondevice.peaks``.

    The INT8 weights are 7-bit (-64..63): AVX2 without VNNI adds u8 x s8 products in pairs into
    int16 and saturates full-range ones, so only these give the exact product on every CPU."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    paths = []
    for name, op, a_type, b, out_type in [
        ("peak_fp32.onnx", "MatMul", TensorProto.FLOAT, rng.standard_normal((size, size)).astype(np.float32),
         TensorProto.FLOAT),
        ("peak_int8.onnx", "MatMulInteger", TensorProto.UINT8, rng.integers(-64, 64, (size, size)).astype(np.int8),
         TensorProto.INT32),
    ]:
        graph = helper.make_graph([helper.make_node(op, ["a", "b"], ["y"])], name,
                                  [helper.make_tensor_value_info("a", a_type, [size, size])],
                                  [helper.make_tensor_value_info("y", out_type, [size, size])],
                                  [numpy_helper.from_array(b, "b")])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
        model.ir_version = 8
        helper.set_model_props(model, {"edgenas.macs": str(size ** 3)})
        path = Path(folder) / name
        onnx.save(model, str(path))
        paths.append(str(path))
    return paths[0], paths[1]


def model_entries(models: list[dict]) -> list[dict]:
    """One entry per deployed model, each value from one file: ``model``, ``stage`` and the
    ``onnx`` file as given; accuracy and its image count from the ONNX file's evaluation
    (``metrics``); MACs and params from its checkpoint's evaluation (``complexity``, counted
    on the net as deployed); ``eager``, a checkpoint also timed in PyTorch, or None; ``flip_tta``,
    whether the file is also measured with flip test-time augmentation (a row of its own)."""
    from ..records import read_json

    entries = []
    for m in models:
        metrics, complexity = read_json(m["metrics"]), read_json(m["complexity"])
        entries.append({"model": m["model"], "stage": m["stage"], "onnx": m["onnx"], "eager": m.get("eager"),
                        "flip_tta": bool(m.get("flip_tta")),
                        "accuracy": metrics["accuracy"], "test_images": metrics["images"],
                        "macs": complexity["macs"], "params": complexity["params"]})
    return entries


def _row(target: str, entry: dict, fmt: str, path: str, accuracy: float, images: int, timing: dict, threads: int,
         system: dict, peak: dict, emulated: bool = False, host_accuracy: float | None = None,
         host_agreement: float = 1.0) -> dict:
    rate = entry["macs"] / (timing["latency_ms_p50"] / 1000.0) / 1e9
    top = peak.get(str(threads), {}).get("int8" if fmt == "onnx-int8" else "fp32")
    return {"target": target, "model": entry["model"], "stage": entry["stage"], "format": fmt, "accuracy": accuracy,
            "test_images": images, **{k: timing[k] for k in TIMING_KEYS},
            "size_mb": os.path.getsize(path) / 1e6, "params": entry["params"], "macs": entry["macs"],
            "gmacs_per_s": rate, "peak_gmacs_per_s": top, "peak_fraction": rate / top if top else None,
            "threads": threads, "cpu": system["cpu"], "isa": system["isa"], "os": system["os"],
            "onnxruntime": system["onnxruntime"], "emulated": emulated,
            "host_accuracy": accuracy if host_accuracy is None else host_accuracy, "host_agreement": host_agreement}


def onnx_format(path: str) -> str:
    return "onnx-int8" if "int8" in Path(path).name else "onnx-fp32"


def with_flip_tta(entry: dict) -> dict:
    """The entry as a row of its own, run with flip TTA: two passes per image, twice the MACs."""
    return {**entry, "stage": entry["stage"] + FLIP_TTA, "macs": 2 * entry["macs"]}


def eager_timing(checkpoint: str, image: np.ndarray, threads: int, warmup: int, runs: int) -> dict[str, float]:
    """Batch-1 latency of the checkpoint in PyTorch eager mode: what ONNX Runtime is compared with."""
    import time

    import torch

    from ..model import load_checkpoint

    net, _, _ = load_checkpoint(checkpoint)
    before = torch.get_num_threads()
    torch.set_num_threads(threads or os.cpu_count())
    x = torch.from_numpy(image[None])
    times = np.empty(runs)
    try:
        with torch.inference_mode():
            for _ in range(warmup):
                net(x)
            for i in range(runs):
                t = time.perf_counter()
                net(x)
                times[i] = time.perf_counter() - t
    finally:
        torch.set_num_threads(before)
    return ondevice.latency_stats(times * 1000.0)


def bench_local(target: str, entries: list[dict], test: ImageArrays, stats: dict, *, threads: list[int],
                warmup: int, runs: int, rounds: int = 1) -> list[dict]:
    """Measure every model (``model_entries``) on this machine's CPU; one row per (model, stage,
    format, thread count). Accuracy is the evaluate stage's, on the run's test subset; an entry's
    ``eager`` checkpoint is also timed in PyTorch eager FP32 for reference. The peak MAC rates
    are measured here too, on the same threads. An entry with ``flip_tta`` gets a second row
    (stage suffixed ``_flip_tta``): accuracy with flip TTA on the same test subset, measured here,
    and the latency of the image and its mirror as one batch of 2. The ONNX files are timed in
    ``rounds`` passes over all of them, each keeping its quietest (``ondevice.quietest_timings``)."""
    import tempfile

    system = ondevice.system_info()
    inputs = ondevice.normalize(test.x, stats["mean"], stats["std"])
    with tempfile.TemporaryDirectory() as tmp:
        peak = ondevice.peaks(*matmul_models(tmp), threads)
    runs_of = [(e, False) for e in entries] + [(e, True) for e in entries if e["flip_tta"]]
    timed = ondevice.quietest_timings([(e["onnx"], tta) for e, tta in runs_of], inputs[0], threads, warmup, runs,
                                      rounds)
    rows = []
    for e, tta in runs_of:
        top1, images = ((ondevice.accuracy(e["onnx"], inputs, test.y, flip_tta=True), len(test.y)) if tta
                        else (e["accuracy"], e["test_images"]))
        for t in threads:
            rows.append(_row(target, with_flip_tta(e) if tta else e, onnx_format(e["onnx"]), e["onnx"], top1, images,
                             timed[e["onnx"], tta, t], t or os.cpu_count(), system, peak))
    for e in entries:
        if e["eager"]:
            for t in threads:
                rows.append(_row(target, e, "pytorch-fp32", e["eager"], e["accuracy"], e["test_images"],
                                 eager_timing(e["eager"], inputs[0], t, warmup, runs), t or os.cpu_count(), system,
                                 peak))
    return rows


def bench_device(target: str, entries: list[dict], test: ImageArrays, stats: dict, *, device: dict, warmup: int,
                 runs: int, device_images: int, seed: int, emulated: bool = False, rounds: int = 1) -> list[dict]:
    """Measure every model's ONNX file on a device over SSH (``remote.run_on_device``): the device
    measures accuracy itself, on its own kernels, on ``device_images`` of the test subset. An
    ``emulated`` device (``emulator``) measures no peak MAC rate, and its rows say it is emulated:
    its accuracy is its kernels', its latency is QEMU's. Each row's ``host_accuracy`` is the same
    file's on the same images on this machine, and ``host_agreement`` the share of those images
    both predict alike: a difference is the two CPUs' kernels' (``isa`` names the device's). An entry
    with ``flip_tta`` is measured again on the device with flip TTA, as a row of its own."""
    import json
    import tempfile

    from ..data import take
    from ..remote import Target, run_on_device, write_sample

    sample = take(test, device_images, seed)
    inputs = ondevice.normalize(sample.x, stats["mean"], stats["std"])
    runs_of = [(e, False) for e in entries] + [(e, True) for e in entries if e["flip_tta"]]
    host = {(Path(e["onnx"]).name, tta): ondevice.top1(e["onnx"], inputs, tta) for e, tta in runs_of}
    with tempfile.TemporaryDirectory() as tmp:
        write_sample(Path(tmp) / "sample.npz", sample.x, sample.y, stats["mean"], stats["std"])
        result = run_on_device(Target(name=target, **device), [e["onnx"] for e in entries],
                               str(Path(tmp) / "sample.npz"), warmup, runs,
                               peak_models=None if emulated else matmul_models(tmp),
                               flip_tta=[e["onnx"] for e in entries if e["flip_tta"]], rounds=rounds)
    print(json.dumps(result["system"]))
    by_file = {Path(e["onnx"]).name: e for e in entries}
    rows = []
    for r in result["rows"]:
        tta = bool(r.get("flip_tta"))
        entry = with_flip_tta(by_file[r["model"]]) if tta else by_file[r["model"]]
        here = host[r["model"], tta]
        rows.append(_row(target, entry, onnx_format(r["model"]), entry["onnx"], r["accuracy"], len(sample.y), r,
                         r["threads"], result["system"], result.get("peak", {}), emulated,
                         float((here == sample.y).mean()), float((here == np.asarray(r["top1"])).mean())))
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
