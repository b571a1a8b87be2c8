"""Fine-tuning choices against the accuracy goal (baseline -> final INT8 within 1 point).

    python benchmarks/finetune_accuracy.py [--run .] [--variants 7:64:0.02:0 9:128:0.02:0 ...]

Each variant ``epochs:batch_size:learning_rate:distill_weight`` fine-tunes the run's ``pruned.pt`` with
the workflow's own stage (``edgenas.compression.training_jobs.finetune_pruned``: the default config's recipe,
split and seed; distillation from ``baseline.pt`` at temperature 4 when the weight is > 0),
exports it, quantizes it with the default config's INT8 settings, and reports test accuracy
of FP32 and INT8 and the INT8 model's loss in points against ``baseline.pt``. Accuracy is not
timing, so variants may run side by side (``--threads 1`` in two shells). On a 2-core CPU the
default variant list takes hours (docs/measurements.md has its runs); the workflow's own chain
gives the configured choice.
"""
from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import torch
import yaml
from study_common import ROOT

from edgenas.accel import resolve
from edgenas.export import export_checkpoint
from edgenas.quantize import calibration_inputs, quantize_int8
from edgenas.compression.training_jobs import TrainingJob, finetune_pruned
from edgenas.data import ImageArrays
from edgenas.measurement.evaluate import evaluate_file
from edgenas.settings import Quantize, Recipe, Split

VARIANTS = ["5:128:0.02:0", "7:128:0.02:0", "9:128:0.02:0", "5:128:0.02:0.9", "7:64:0.02:0"]


def parse_variant(text: str) -> dict:
    try:
        epochs, batch, rate, weight = text.split(":")
        return {"epochs": int(epochs), "batch_size": int(batch), "learning_rate": float(rate),
                "distill_weight": float(weight)}
    except ValueError:
        raise SystemExit(f"--variants: {text!r} is not epochs:batch_size:learning_rate:distill_weight "
                         "(e.g. 7:64:0.02:0)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", default=".", help="workflow folder with results/models and resources/data")
    parser.add_argument("--variants", nargs="+", default=VARIANTS, type=parse_variant)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0 = every core)")
    parser.add_argument("--train-limit", type=int, default=0, help="training images (0 = the config's)")
    args = parser.parse_args()
    run = Path(args.run)
    models, data = run / "results/models", run / "resources/data"
    needed = [models / "pruned.pt", models / "baseline.pt", data / "train.npz", data / "test.npz", data / "stats.json"]
    missing = [str(p) for p in needed if not p.exists()]
    if missing:
        raise SystemExit(f"{', '.join(missing)} missing; run the workflow up to pruning first "
                         "(snakemake results/models/pruned.pt --cores 2) or pass --run")
    if args.threads:
        torch.set_num_threads(args.threads)
    config = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    stats = json.loads((data / "stats.json").read_text())
    split = Split.from_config(config, args.train_limit or None)
    test = ImageArrays.load(data / "test.npz")
    calibration = calibration_inputs(str(data / "train.npz"), stats, config["data"]["calibration_size"], split)
    hardware = resolve(config["accelerator"], str(config["precision"]))
    baseline = evaluate_file(models / "baseline.pt", test, stats["mean"], stats["std"])["accuracy"]

    rows = []
    for variant in args.variants:
        recipe = Recipe.finetuning(dict(config, finetune=dict(config["finetune"], **variant)))
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            job = TrainingJob(train_npz=str(data / "train.npz"), stats=stats, split=split, hardware=hardware,
                              workdir=str(tmp / "work"), out_model=str(tmp / "finetuned.pt"),
                              out_history=str(tmp / "history.csv"))
            finetune_pruned(job, recipe, pruned=str(models / "pruned.pt"), teacher=str(models / "baseline.pt"))
            export_checkpoint(str(tmp / "finetuned.pt"), str(tmp / "finetuned.onnx"), test.x[:16])
            quantize_int8(tmp / "finetuned.onnx", tmp / "int8.onnx", calibration, Quantize.from_config(config))
            fp32, int8 = (evaluate_file(tmp / f, test, stats["mean"], stats["std"])["accuracy"]
                          for f in ("finetuned.onnx", "int8.onnx"))
        rows.append((variant, fp32, int8))
        print(f"done: {variant} fp32 {fp32:.4f} int8 {int8:.4f}", flush=True)

    print(f"\nbaseline.pt test accuracy {baseline:.4f} on {len(test.y)} images")
    print(f"{'epochs':>6} {'batch':>5} {'lr':>6} {'distill':>7} {'fp32':>7} {'int8':>7} {'points':>7}")
    for v, fp32, int8 in rows:
        print(f"{v['epochs']:6d} {v['batch_size']:5d} {v['learning_rate']:6.3g} {v['distill_weight']:7.2g} "
              f"{fp32:7.4f} {int8:7.4f} {100 * (int8 - baseline):+7.2f}")


if __name__ == "__main__":
    main()
