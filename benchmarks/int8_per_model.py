"""Per-tensor against per-channel INT8 weights for every model a run deploys, side by side.

    python benchmarks/int8_per_model.py [--run .] [--config config/config.yaml] [--test-images 10000]

``benchmarks/int8_study.py`` chose the default (``quantize.per_channel``) on one net, the searched
net after pruning. A study compares many nets as deployed, so a setting that costs one of them
accuracy or speed biases the comparison. Every FP32 file the workflow quantizes
(``baseline.onnx``, ``finetuned.onnx``, ``control_*.onnx``) is quantized here with the config's
settings and with ``per_channel`` flipped, on the workflow's own calibration images; then each
file's test accuracy, size, and batch-1 p50 latency at one thread, all files timed in the same
interleaved passes (``edgenas.device.ondevice.quietest_timings``, each keeping its quietest pass).
"""
from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import yaml
from study_common import ROOT

from edgenas.quantize import calibration_inputs, quantize_int8
from edgenas.data import ImageArrays, take
from edgenas.device.ondevice import accuracy, normalize, quietest_timings
from edgenas.records import read_json
from edgenas.settings import Quantize, Split


def fp32_files(models: Path) -> dict[str, Path]:
    """The run's FP32 ONNX files that the workflow quantizes, by model name."""
    files = {"nas (trained)": models / "baseline.onnx", "nas (pruned, fine-tuned)": models / "finetuned.onnx"}
    files.update({p.stem.removeprefix("control_"): p for p in sorted(models.glob("control_*.onnx"))
                  if not p.stem.endswith("_int8")})
    return {k: v for k, v in files.items() if v.exists()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", default=".", help="a finished run's folder (results/models, resources/data)")
    parser.add_argument("--config", default=str(ROOT / "config" / "config.yaml"))
    parser.add_argument("--test-images", type=int, default=10000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()

    run = Path(args.run)
    data_dir, models = run / "resources" / "data", run / "results" / "models"
    files = fp32_files(models)
    if not files or not (data_dir / "stats.json").exists():
        raise SystemExit(f"{run}: no results/models/*.onnx or resources/data; run the workflow first or pass --run")
    config = yaml.safe_load(Path(args.config).read_text())
    setting = config["quantize"]
    split = Split.from_config(config)
    stats = read_json(data_dir / "stats.json")
    calibration = calibration_inputs(str(data_dir / "train.npz"), stats, config["data"]["calibration_size"], split)
    test = take(ImageArrays.load(data_dir / "test.npz"), args.test_images, 0)
    inputs = normalize(test.x, stats["mean"], stats["std"])  # once, for all 2 x len(files) files
    ways = {"per-tensor": False, "per-channel": True}

    with tempfile.TemporaryDirectory() as tmp:
        rows = []
        for name, fp32 in files.items():
            for way, per_channel in ways.items():
                out = Path(tmp) / f"{fp32.stem}_{way}.onnx"
                quantize_int8(fp32, out, calibration, Quantize(**{**setting, "per_channel": per_channel}))
                top1 = accuracy(str(out), inputs, test.y)
                rows.append({"model": name, "weights": way, "file": str(out), "accuracy": top1,
                             "kB": os.path.getsize(out) / 1e3})
                print(f"{name:26s} {way:11s} {100 * top1:6.2f} %", flush=True)
        timed = quietest_timings([(r["file"], False) for r in rows], None, [1], warmup=20, runs=args.runs,
                                 rounds=args.rounds)
        for r in rows:
            r["ms"] = timed[(r["file"], False, 1)]["latency_ms_p50"]

    print(f"\nINT8 as the config quantizes it (default per_channel: {setting['per_channel']}), weights per tensor "
          f"or per channel; {len(test.y)} test images; p50 ms at 1 thread, batch 1")
    print("| model | per-tensor | per-channel | points | per-tensor ms | per-channel ms | speed-up | kB per-tensor | kB per-channel |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name in files:
        t, c = (next(r for r in rows if r["model"] == name and r["weights"] == w) for w in ways)
        print(f"| {name} | {100 * t['accuracy']:.2f} % | {100 * c['accuracy']:.2f} % | "
              f"{100 * (c['accuracy'] - t['accuracy']):+.2f} | {t['ms']:.3f} | {c['ms']:.3f} | "
              f"{t['ms'] / c['ms']:.2f}x | {t['kB']:.0f} | {c['kB']:.0f} |")


if __name__ == "__main__":
    main()
