#!/usr/bin/env python3
"""Inference, accuracy and latency of ONNX models with ONNX Runtime: the device side.

Standalone on purpose: it imports only numpy and onnxruntime (OpenCV too, for resizing
in ``fit_image`` alone), so the same file runs on this machine (imported by the workflow)
and, copied alone, on an edge device.

    python ondevice.py --data sample.npz --threads 1 --out result.json model.onnx ...
    python ondevice.py --data sample.npz --flip-tta model.onnx --out result.json model.onnx   # also with flip TTA
    python ondevice.py --threads 1 --out result.json layer.onnx ...    # latency only, random inputs
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import time

import numpy as np
import onnxruntime as ort

# the image files a data set or the demo reads (OpenCV and Pillow read every one; GIF: the first frame)
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff"}


def fit_image(rgb: np.ndarray, size: int) -> np.ndarray:
    """Resize the shorter side to ``size`` and centre-crop: the one geometry step every
    image goes through, at data preparation and in the demo (OpenCV, imported here only)."""
    h, w = rgb.shape[:2]
    if (h, w) == (size, size):
        return rgb
    import cv2

    scale = size / min(h, w)
    nh, nw = max(size, round(h * scale)), max(size, round(w * scale))
    rgb = cv2.resize(rgb, (nw, nh), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    top, left = (nh - size) // 2, (nw - size) // 2
    return np.ascontiguousarray(rgb[top:top + size, left:left + size])


def normalize(x: np.ndarray, mean, std) -> np.ndarray:
    """uint8 NHWC images to the float32 NCHW input every model takes."""
    m = np.asarray(mean, dtype=np.float32).reshape(1, 3, 1, 1)
    s = np.asarray(std, dtype=np.float32).reshape(1, 3, 1, 1)
    return (x.transpose(0, 3, 1, 2).astype(np.float32) / 255.0 - m) / s


def open_session(path: str, threads: int = 0) -> ort.InferenceSession:
    """A CPU session; ``threads`` 0 lets ONNX Runtime use every core."""
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])


def model_metadata(session: ort.InferenceSession) -> dict:
    """Class names and preprocessing stored in the model by the export stage."""
    props = session.get_modelmeta().custom_metadata_map
    return {k[len("edgenas."):]: json.loads(v) for k, v in props.items() if k.startswith("edgenas.")}


def mirrored(inputs: np.ndarray) -> np.ndarray:
    """NCHW (or CHW) images flipped left to right."""
    return np.ascontiguousarray(inputs[..., ::-1])


def predict(session: ort.InferenceSession, inputs: np.ndarray, batch_size: int = 256,
            flip_tta: bool = False) -> np.ndarray:
    """Logits for normalised NCHW inputs, in batches. ``flip_tta`` averages the logits of each
    image and its mirror (test-time augmentation: two forward passes per image)."""
    name = session.get_inputs()[0].name
    logits = np.concatenate([session.run(None, {name: inputs[i:i + batch_size]})[0]
                             for i in range(0, len(inputs), batch_size)])
    return (logits + predict(session, mirrored(inputs), batch_size)) / 2 if flip_tta else logits


def latencies_ms(session: ort.InferenceSession, image: np.ndarray, warmup: int, runs: int) -> np.ndarray:
    """Batch-1 latency of ``runs`` calls after ``warmup`` calls, in milliseconds."""
    feed = {session.get_inputs()[0].name: image[None] if image.ndim == 3 else image}
    for _ in range(warmup):
        session.run(None, feed)
    times = np.empty(runs)
    for i in range(runs):
        t = time.perf_counter()
        session.run(None, feed)
        times[i] = time.perf_counter() - t
    return times * 1000.0


def latency_stats(ms: np.ndarray) -> dict[str, float]:
    return {"latency_ms_mean": float(ms.mean()), "latency_ms_p50": float(np.percentile(ms, 50)),
            "latency_ms_p90": float(np.percentile(ms, 90)), "latency_ms_p99": float(np.percentile(ms, 99)),
            "throughput_ips": float(1000.0 / ms.mean())}


def cpu_name() -> str:
    """The CPU's model name (x86 'model name', or Arm's 'Model'/'Hardware' lines)."""
    try:
        with open("/proc/cpuinfo") as f:
            fields = dict(line.split(":", 1) for line in f if ":" in line)
        for key in ("model name", "Model", "Hardware"):
            for k, v in fields.items():
                if k.strip() == key and v.strip():
                    return v.strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_flags() -> set[str]:
    """The x86 'flags' of /proc/cpuinfo (empty elsewhere)."""
    try:
        with open("/proc/cpuinfo") as f:
            return next((set(line.split(":", 1)[1].split()) for line in f if line.startswith("flags")), set())
    except OSError:
        return set()


def isa() -> str:
    """The instruction set ONNX Runtime's integer kernels dispatch on, as the CPU reports it to
    the running process (CPUID on x86, hardware capabilities on Arm; so under QEMU, the emulated
    CPU's): INT8 speed and even accuracy depend on it (x86 without VNNI adds u8 x s8 pairs into
    saturating 16-bit lanes). Read from numpy's runtime CPU dispatch; AVX-VNNI, which numpy does
    not name, from /proc/cpuinfo, except under emulation (``EDGENAS_EMULATED``), where that file is
    the host's."""
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as features
    except ImportError:  # numpy < 2
        from numpy.core._multiarray_umath import __cpu_features__ as features
    has = {k for k, v in features.items() if v}
    if "AVX2" in has and not os.environ.get("EDGENAS_EMULATED") and "avx_vnni" in cpu_flags():
        has.add("AVXVNNI")  # numpy has no flag for AVX-VNNI without AVX-512 (Alder Lake and later)
    if "ASIMD" in has or platform.machine() in ("aarch64", "arm64"):
        return "arm64-dotprod" if "ASIMDDP" in has else "arm64-neon"
    for flag, name in (("AVX512VNNI", "x86-avx512-vnni"), ("AVXVNNI", "x86-avx-vnni"), ("AVX512F", "x86-avx512"),
                       ("AVX2", "x86-avx2"), ("SSE41", "x86-sse4")):
        if flag in has:
            return name
    return platform.machine()


def system_info() -> dict[str, str]:
    return {"cpu": cpu_name(), "isa": isa(), "cores": str(os.cpu_count()), "machine": platform.machine(),
            "os": platform.platform(), "python": platform.python_version(), "onnxruntime": ort.__version__}


def timing(model: str, image: np.ndarray | None, threads: int, warmup: int, runs: int,
           flip_tta: bool = False) -> dict[str, float]:
    """Latency statistics of one image through one model on ``threads`` threads (0 = every core):
    batch 1, or with ``flip_tta`` the image and its mirror as one batch of 2. Without an ``image``
    the input is random, in the model's own input shape: latency does not depend on values."""
    session = open_session(model, threads)
    if image is None:
        shape = [d if isinstance(d, int) else 1 for d in session.get_inputs()[0].shape]
        image = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    if flip_tta:
        image = np.stack([image, mirrored(image)])
    return latency_stats(latencies_ms(session, image, warmup, runs))


def peak_gmacs(model: str, threads: int, runs: int = 20) -> float:
    """Best MAC rate (GMAC/s) of a large matrix-multiply model on ``threads`` threads: the
    attainable peak for its data type, against which a net's own MAC rate is judged. The
    model carries its MAC count in the ``edgenas.macs`` metadata (``bench.matmul_models``)."""
    session = open_session(model, threads)
    macs = int(session.get_modelmeta().custom_metadata_map["edgenas.macs"])
    inp = session.get_inputs()[0]
    x = np.random.default_rng(0).integers(0, 128, inp.shape).astype(np.uint8 if "uint8" in inp.type else np.float32)
    return macs / (float(np.min(latencies_ms(session, x, warmup=3, runs=runs))) / 1000.0) / 1e9


def peaks(fp32_model: str, int8_model: str, threads: list[int]) -> dict[str, dict[str, float]]:
    """{threads: {"fp32": GMAC/s, "int8": GMAC/s}} with 0 spelled as the core count."""
    return {str(t or os.cpu_count()): {"fp32": peak_gmacs(fp32_model, t), "int8": peak_gmacs(int8_model, t)}
            for t in threads}


def top1(model: str, inputs: np.ndarray, flip_tta: bool = False) -> np.ndarray:
    """Top-1 class of each normalised input under an ONNX file (every core), optionally with flip TTA."""
    return predict(open_session(model), inputs, flip_tta=flip_tta).argmax(1)


def accuracy(model: str, inputs: np.ndarray, labels: np.ndarray, flip_tta: bool = False) -> float:
    """Top-1 accuracy of an ONNX file on normalised inputs (every core), optionally with flip TTA."""
    return float((top1(model, inputs, flip_tta) == labels).mean())


def quietest_timings(runs_of: list[tuple[str, bool]], image: np.ndarray | None, threads: list[int], warmup: int,
                     runs: int, rounds: int = 1) -> dict[tuple[str, bool, int], dict[str, float]]:
    """Latency statistics of every (model, flip_tta) at every thread count, timed in ``rounds``
    passes over all of them in turn; each keeps its quietest pass (lowest p50). A CPU's slow
    spells (a shared or throttled machine: up to 2x here between passes minutes apart) then
    hit every model alike instead of whichever ran during one, so ratios between models hold."""
    best: dict[tuple[str, bool, int], dict[str, float]] = {}
    for _ in range(rounds):
        for model, tta in runs_of:
            for t in threads:
                stats = timing(model, image, t, warmup, runs, tta)
                key = (model, tta, t)
                if key not in best or stats["latency_ms_p50"] < best[key]["latency_ms_p50"]:
                    best[key] = stats
    return best


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="+")
    ap.add_argument("--data", help=".npz with x (uint8 NHWC), y, mean, std; without it, latency only (random inputs)")
    ap.add_argument("--threads", type=int, nargs="+", default=[0])
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=1, help="timing passes over every model; each keeps its quietest")
    ap.add_argument("--peak", nargs=2, metavar=("FP32_MATMUL", "INT8_MATMUL"),
                    help="matrix-multiply models that measure the peak MAC rates")
    ap.add_argument("--flip-tta", nargs="+", default=[], metavar="MODEL",
                    help="models (of those given) also measured with flip test-time augmentation (needs --data)")
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    runs_of = [(m, False) for m in args.models] + [(m, True) for m in args.flip_tta]
    if args.data:
        with np.load(args.data) as z:
            x, y, mean, std = z["x"], z["y"], z["mean"], z["std"]
        inputs = normalize(x, mean, std)
        classes = {run: top1(run[0], inputs, run[1]) for run in runs_of}
    elif args.flip_tta:
        ap.error("--flip-tta needs --data")
    timed = quietest_timings(runs_of, inputs[0] if args.data else None, args.threads, args.warmup, args.runs,
                             args.rounds)
    rows = [{"model": os.path.basename(m), "threads": t or os.cpu_count(),
             **({"accuracy": float((classes[m, tta] == y).mean()), "top1": classes[m, tta].tolist(), "flip_tta": tta}
                if args.data else {}), **timed[m, tta, t]}
            for m, tta in runs_of for t in args.threads]
    with open(args.out + ".tmp", "w") as f:
        json.dump({"system": system_info(), "rows": rows,
                   "peak": peaks(*args.peak, args.threads) if args.peak else {}}, f, indent=2)
    os.replace(args.out + ".tmp", args.out)


if __name__ == "__main__":
    main()
