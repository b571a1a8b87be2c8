"""Pruning choices that matter to kernels, measured on the run's trained baseline.

    python benchmarks/prune_kernels.py [--baseline results/models/baseline.pt] [--data resources/data]

Each row prunes ``baseline.pt`` one way (channel ratio, ``round_to`` multiple, global vs
uniform ratio, the stem left alone or not), exports it and quantizes it (MinMax on 64
images), and reports MACs, parameters and batch-1 p50 latency in FP32 and INT8 at one
thread, timed in turn in this run, with ratios to the unpruned FP32 net. Accuracy needs the
fine-tuning stage and is not measured here; the workflow's own prune -> fine-tune chain
gives it for the configured choice.
"""
from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from study_common import ORT_DEFAULTS, RunData, interleaved_p50, session

from edgenas.export import export_onnx
from edgenas.compression.prune import prune_channels
from edgenas.quantize import quantize_int8
from edgenas.model import count_macs_params, drop_auxiliary_head, load_checkpoint
from edgenas.settings import Quantize

VARIANTS = [  # name, ratio, round_to, global, keep the stem's channels
    ("ratio 0.5, uniform, round_to 16 (default)", 0.5, 16, False, False),
    ("ratio 0.4, uniform, round_to 16", 0.4, 16, False, False),
    ("ratio 0.6, uniform, round_to 16", 0.6, 16, False, False),
    ("ratio 0.7, uniform, round_to 16", 0.7, 16, False, False),
    ("ratio 0.5, uniform, round_to 8", 0.5, 8, False, False),
    ("ratio 0.5, global, round_to 16", 0.5, 16, True, False),
    ("ratio 0.5, uniform, round_to 16, stem kept", 0.5, 16, False, True),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", default="results/models/baseline.pt")
    parser.add_argument("--data", default="resources/data")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--runs", type=int, default=60)
    args = parser.parse_args()
    if not Path(args.baseline).exists():
        raise SystemExit(f"{args.baseline} missing; run the workflow first (snakemake --cores 2) or pass --baseline")
    data = RunData(args.data, 8, 64)
    check = data.inputs[:4]

    with tempfile.TemporaryDirectory() as tmp:
        net, _, meta = load_checkpoint(args.baseline)
        size = meta["image_size"]
        files, complexity = {}, {}
        export_onnx(drop_auxiliary_head(net), Path(tmp) / "base.onnx", check)
        files["unpruned", "fp32"] = str(Path(tmp) / "base.onnx")
        complexity["unpruned"] = count_macs_params(net, size)
        for i, (name, ratio, round_to, global_pruning, keep_stem) in enumerate(VARIANTS):
            net, _, _ = load_checkpoint(args.baseline)
            drop_auxiliary_head(net)
            prune_channels(net, size, ratio=ratio, importance="l2", global_pruning=global_pruning,
                           round_to=round_to, keep_layers=["stem"] if keep_stem else [])
            complexity[name] = count_macs_params(net, size)
            fp32, int8 = Path(tmp) / f"v{i}.onnx", Path(tmp) / f"v{i}_int8.onnx"
            export_onnx(net, fp32, check, atol=1e-2)
            quantize_int8(fp32, int8, data.calibration, Quantize(**ORT_DEFAULTS))
            files[name, "fp32"], files[name, "int8"] = str(fp32), str(int8)
            print(f"pruned: {name}", flush=True)
        p50 = interleaved_p50({k: session(v, 1) for k, v in files.items()}, data.inputs[0], args.rounds, args.runs)

    base = p50["unpruned", "fp32"]
    print(f"\n{'variant':<44} {'MMACs':>6} {'params':>7} {'fp32 ms':>8} {'int8 ms':>8} {'fp32 x':>6} {'int8 x':>6}")
    for name in complexity:
        macs, params = complexity[name]
        fp, q = p50[name, "fp32"], p50.get((name, "int8"))
        int8_ms, int8_x = (f"{q:8.3f}", f"{base / q:6.2f}") if q else ("-".rjust(8), "-".rjust(6))
        print(f"{name:<44} {macs / 1e6:6.1f} {params:7d} {fp:8.3f} {int8_ms} {base / fp:6.2f} {int8_x}")


if __name__ == "__main__":
    main()
