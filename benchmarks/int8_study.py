"""INT8 choices of ONNX Runtime's static quantizer, measured on the run's fine-tuned net.

    python benchmarks/int8_study.py [--models results/models] [--data resources/data]

Every row quantizes ``finetuned.onnx`` (the pruned, fine-tuned net) one way and reports, in
this run: test accuracy on --test-images images, file size, batch-1 p50 latency at 1 thread
and at every core, and the ratios to the same net in FP32 and to the unpruned FP32
baseline. Then ONNX Runtime's graph optimisation levels (and an offline-optimised file)
for FP32 and for the config's INT8. The first INT8 row is ONNX Runtime's defaults
(QDQ, per-channel, u8 activations, s8 weights, MinMax); the rest change one thing.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import onnxruntime as ort
import yaml
from study_common import (
    ORT_DEFAULTS,
    ROOT,
    RunData,
    interleaved_p50,
    session,
    threads_label,
)

from edgenas.quantize import quantize_int8
from edgenas.settings import Quantize

NON_CONV = ["Add", "Concat", "AveragePool", "MaxPool", "GlobalAveragePool", "Gemm", "Relu", "Pad", "Slice"]
VARIANTS: list[tuple[str, dict, int]] = [  # (name, change to ORT's defaults, calibration images)
    ("ORT defaults (QDQ, per-channel, u8/s8, MinMax, 256 images)", {}, 256),
    ("QOperator format", {"format": "qoperator"}, 256),
    ("per-tensor weights", {"per_channel": False}, 256),
    ("QOperator + per-tensor", {"format": "qoperator", "per_channel": False}, 256),
    ("s8 activations (s8/s8)", {"activation_type": "int8"}, 256),
    ("u8 weights (u8/u8)", {"weight_type": "uint8"}, 256),
    ("Entropy calibration", {"calibration_method": "entropy"}, 256),
    ("Percentile calibration", {"calibration_method": "percentile"}, 256),
    ("MinMax on 64 images", {}, 64),
    ("MinMax on 1024 images", {}, 1024),
    ("without quant_pre_process", {"pre_process": False}, 256),
    ("AveragePool kept in FP32", {"keep_fp32": ["AveragePool"]}, 256),
    ("Add/Concat/pools kept in FP32", {"keep_fp32": ["Add", "Concat", "AveragePool", "MaxPool"]}, 256),
    ("only Conv quantized", {"keep_fp32": NON_CONV}, 256),
    ("per-tensor + Add/Concat/pools in FP32", {"per_channel": False,
                                               "keep_fp32": ["Add", "Concat", "AveragePool", "MaxPool"]}, 256),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="results/models")
    parser.add_argument("--data", default="resources/data")
    parser.add_argument("--config", default=str(ROOT / "config" / "config.yaml"))
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 0])
    parser.add_argument("--test-images", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--runs", type=int, default=60)
    args = parser.parse_args()

    models = Path(args.models)
    fp32, baseline = str(models / "finetuned.onnx"), str(models / "baseline.onnx")
    for p in (fp32, baseline):
        if not Path(p).exists():
            raise SystemExit(f"{p} missing; run the workflow first (snakemake --cores 2) or pass --models")
    data = RunData(args.data, args.test_images, max(v[2] for v in VARIANTS))
    config_q = yaml.safe_load(Path(args.config).read_text())["quantize"]
    calib_n = yaml.safe_load(Path(args.config).read_text())["data"]["calibration_size"]
    variants = VARIANTS + [("config default", {**config_q}, calib_n)]

    with tempfile.TemporaryDirectory() as tmp:
        files = {"FP32 baseline (unpruned)": baseline, "FP32 (pruned, fine-tuned)": fp32}
        for i, (name, change, n) in enumerate(variants):
            path = str(Path(tmp) / f"v{i}.onnx")
            start = time.perf_counter()
            quantize_int8(fp32, path, data.calibration[:n], Quantize(**{**ORT_DEFAULTS, **change}))
            print(f"quantized: {name} ({time.perf_counter() - start:.1f} s)", flush=True)
            files[name] = path
        accuracy = {name: data.accuracy(path) for name, path in files.items()}
        image = data.inputs[0]
        p50 = {}
        for t in args.threads:
            p50[t] = interleaved_p50({k: session(v, t) for k, v in files.items()}, image, args.rounds, args.runs)

        ref, base = "FP32 (pruned, fine-tuned)", "FP32 baseline (unpruned)"
        size = {k: os.path.getsize(v) for k, v in files.items()}
        head = f"{'model':<58} {'acc':>6} {'size kB':>8} {'smaller':>7}"
        for t in args.threads:
            head += f" {'p50 ' + threads_label(t):>9} {'vs fp32':>7} {'vs base':>7}"
        print("\n" + head)
        for k in files:
            line = f"{k:<58} {accuracy[k]:6.4f} {size[k] / 1e3:8.1f} {size[ref] / size[k]:6.2f}x"
            for t in args.threads:
                line += f" {p50[t][k]:8.3f}ms {p50[t][ref] / p50[t][k]:6.2f}x {p50[t][base] / p50[t][k]:6.2f}x"
            print(line)

        print("\nONNX Runtime graph optimisation level (p50 ms; 'offline' = file saved at 'extended', loaded "
              "with optimisations off)")
        levels = {}
        for k in (ref, "config default"):
            offline = str(Path(tmp) / f"offline_{len(levels)}.onnx")
            opts = ort.SessionOptions()
            opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
            opts.optimized_model_filepath = offline
            ort.InferenceSession(files[k], opts, providers=["CPUExecutionProvider"])
            for level in ("basic", "extended", "all"):
                levels[(k, level)] = (files[k], level)
            levels[(k, "offline")] = (offline, "disable")
        for t in args.threads:
            timed = interleaved_p50({key: session(path, t, level) for key, (path, level) in levels.items()},
                                    image, args.rounds, args.runs)
            for (k, level), v in timed.items():
                print(f"  {threads_label(t)} {k:<28} {level:<9} {v:.3f} ms")


if __name__ == "__main__":
    main()
