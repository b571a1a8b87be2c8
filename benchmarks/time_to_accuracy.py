"""Test accuracy against wall-clock training minutes on this machine: training recipes side by side.

    python benchmarks/time_to_accuracy.py [--run .] [--net resnet20 | --checkpoint results/models/baseline.pt]
        [--epochs 4 8] [--variant current] [--variant "lookahead: lookahead_steps=5"]
        [--preset config/presets/airbench.yaml] [--val-fraction 0] [--ema 0.99 0.995 0.999 | --ema]
        [--precision 32 | bf16] [--out time_to_accuracy.csv] [--save models/]

Each variant is the default config's ``train:`` recipe with the named keys changed (``current``: unchanged);
``--preset`` adds one named after the file, with the ``train:`` keys it sets (its ``epochs`` give way
to ``--epochs``), and ``--variant "name: preset=airbench, key=value"`` starts from that preset's keys.
``--val-fraction`` holds out another share of the training images than the config's (0: train on all,
as airbench94 does; then no epoch validates).
For every variant and epoch budget a fresh net (same seed, same split of the run's training images)
trains with the workflow's own ``edgenas.training.train_net``, as the train rule runs it, in the config's ``precision``
resolved on this machine unless ``--precision`` names one; its minutes are wall
clock (training steps and the per-epoch validation). Exponential moving averages of its weights, one
per ``--ema`` decay (per step, buffers included: what ``pytorch_lightning``'s ``EMAWeightAveraging``
keeps), ride along the same run, so one run measures them all. After training, the final weights and
each average are scored on the run's test images, with one pass and with flip test-time augmentation
(logits of each image and its mirror averaged). Rows are appended as each run ends; a rerun skips the
finished ones. Every net is scored with no test-time augmentation, with flip TTA and with airbench94's
flip + translate TTA (six passes). Prints the table and plots accuracy against minutes beside the CSV. ``--save`` keeps
each run's final net as a workflow checkpoint with its history (``<net>_<variant>_<epochs>e.pt``), to
quantize and benchmark like a control. Time it alone.
"""
from __future__ import annotations

import argparse
import csv
import json
import tempfile
from dataclasses import fields, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytorch_lightning as pl
import torch
import yaml
from study_common import ROOT

from edgenas.accel import resolve
from edgenas.training import train_net
from edgenas.compression.training_jobs import initialise_from_data, save_trained
from edgenas.data import ImageArrays
from edgenas.model import TTA, predict_torch
from edgenas.model import build_model, load_checkpoint
from edgenas.settings import Recipe, Split

FIELDS = ["variant", "changes", "net", "epochs", "seed", "minutes", "images_per_s", "weights", "tta", "accuracy",
          "test_images", "train_images", "precision"]


class EmaProbes(pl.Callback):
    """Exponential moving averages of the net's weights and buffers at several decays, updated
    after every optimiser step, never swapped into the net (so the run trains exactly as without)."""

    def __init__(self, decays: list[float]):
        self.decays = decays
        self.averages: dict[float, torch.optim.swa_utils.AveragedModel] = {}

    def on_fit_start(self, trainer, pl_module):
        from torch.optim.swa_utils import AveragedModel, get_ema_avg_fn

        self.averages = {d: AveragedModel(pl_module.net, avg_fn=get_ema_avg_fn(d), use_buffers=True)
                         for d in self.decays}

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        for average in self.averages.values():
            average.update_parameters(pl_module.net)


def preset_recipe(path: str | Path) -> dict:
    """The ``train:`` keys a preset sets, less its epochs (``--epochs`` chooses those)."""
    path = Path(path) if Path(path).exists() else ROOT / "config/presets" / f"{path}.yaml"
    if not path.exists():
        raise SystemExit(f"preset {str(path)!r}: no such file")
    train = (yaml.safe_load(path.read_text()) or {}).get("train") or {}
    return {k: v for k, v in train.items() if k not in ("epochs", "darts")}


def parse_variant(text: str) -> tuple[str, dict]:
    """``name: key=value, key=value`` (values as YAML; ``preset=<name or file>`` first takes a
    preset's ``train:`` keys), or ``current``."""
    name, _, body = text.partition(":")
    changes = {}
    for item in filter(None, (s.strip() for s in body.split(","))):
        key, eq, value = item.partition("=")
        if not eq:
            raise SystemExit(f"--variant {text!r}: {item!r} is not key=value")
        if key.strip() == "preset":
            changes.update(preset_recipe(value.strip()))
        else:
            changes[key.strip()] = yaml.safe_load(value)
    return name.strip(), changes


def done_runs(path: Path) -> set[tuple[str, str, int]]:
    if not path.exists():
        return set()
    with path.open() as f:
        return {(r["variant"], r["net"], int(r["epochs"]), int(r["seed"])) for r in csv.DictReader(f)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", default=".", help="workflow folder with resources/data (train.npz, test.npz, stats.json)")
    parser.add_argument("--net", default="resnet20", help="a control family (resnet20, mobilenetv2, airbench94)")
    parser.add_argument("--checkpoint", help="instead of --net: retrain this checkpoint's architecture from scratch")
    parser.add_argument("--epochs", type=int, nargs="+", default=[4, 8])
    parser.add_argument("--seeds", type=int, nargs="+", help="one run per seed (default: the config's seed)")
    parser.add_argument("--variant", action="append", type=parse_variant,
                        help='"name: key=value, ..." over config/config.yaml train: (repeatable; default current)')
    parser.add_argument("--preset", action="append", default=[],
                        help="a preset's train: keys as a variant named after the file (repeatable)")
    parser.add_argument("--val-fraction", type=float,
                        help="share of the training images held out (default: the config's data.val_fraction)")
    parser.add_argument("--ema", type=float, nargs="*", default=[0.99, 0.995, 0.999],
                        help="decays of the moving averages that ride along each run (default 0.99 0.995 0.999; "
                             "--ema alone: none; the measurement log's commands with it recorded no average)")
    parser.add_argument("--precision", choices=["32", "bf16"],
                        help="training arithmetic (default: the config's precision, resolved on this machine)")
    parser.add_argument("--out", default="time_to_accuracy.csv")
    parser.add_argument("--save", help="folder for each run's final net (checkpoint and history)")
    args = parser.parse_args()
    data = Path(args.run) / "resources/data"
    missing = [str(data / f) for f in ("train.npz", "test.npz", "stats.json") if not (data / f).exists()]
    if missing:
        raise SystemExit(f"{', '.join(missing)} missing: run the workflow's data stage first "
                         "(snakemake resources/data/stats.json --cores 2) or pass --run")
    config = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    stats = json.loads((data / "stats.json").read_text())
    train = ImageArrays.load(data / "train.npz")
    test = ImageArrays.load(data / "test.npz")
    if args.val_fraction is not None:
        config["data"]["val_fraction"] = args.val_fraction
    split = Split.from_config(config)
    hardware = resolve("cpu", args.precision or str(config["precision"]))
    print(f"training precision: {hardware.precision}")
    train_idx, val_idx = split.indices(len(train.y))
    if args.checkpoint:
        spec = load_checkpoint(args.checkpoint)[1]
        net_name = Path(args.checkpoint).stem
    else:
        spec, net_name = {"family": args.net, "num_classes": len(stats["classes"])}, args.net
    keys = [f.name for f in fields(Recipe) if f.name not in ("epochs", "distill_weight", "temperature")]
    out = Path(args.out)
    finished = done_runs(out)
    variants = (args.variant or ([] if args.preset else [("current", {})])) + [
        (Path(p).stem, preset_recipe(p)) for p in args.preset]
    for name, changes in variants:
        unknown = set(changes) - {"epochs", *keys}
        if unknown:
            raise SystemExit(f"--variant {name}: unknown recipe keys {sorted(unknown)} (known: {', '.join(keys)})")
        for epochs, seed in [(e, sd) for e in args.epochs for sd in (args.seeds or [config["seed"]])]:
            if (name, net_name, epochs, seed) in finished:
                print(f"{name} {net_name} {epochs} epochs, seed {seed}: in {out} already")
                continue
            recipe = replace(Recipe.training(config), **changes, epochs=epochs)
            net = initialise_from_data(build_model(spec, seed=seed), spec, train, train_idx, seed=seed)
            probes = EmaProbes(args.ema)
            with tempfile.TemporaryDirectory() as tmp:
                history = train_net(net, train, train_idx, val_idx, recipe,
                              seed=seed, workdir=tmp, callbacks=[probes], hardware=hardware)
            minutes = sum(float(h["seconds"]) for h in history) / 60
            if args.save:
                stem = Path(args.save) / f"{net_name}_{name.replace(' ', '_')}_{epochs}e_seed{seed}"
                stem.parent.mkdir(parents=True, exist_ok=True)
                save_trained(net, spec, stats, recipe, split, history, out_model=f"{stem}.pt",
                             out_history=f"{stem}_history.csv")
            rate = float(np.median([float(h["images_per_s"]) for h in history]))
            weights = {"final": net, **{f"ema {d}": a.module for d, a in probes.averages.items()}}
            rows = [{"variant": name, "changes": json.dumps(changes), "net": net_name, "epochs": epochs, "seed": seed,
                     "minutes": round(minutes, 2), "images_per_s": rate, "weights": w, "tta": tta,
                     "accuracy": float((predict_torch(m, test.x, stats["mean"], stats["std"], tta=tta)
                                        .argmax(1) == test.y).mean()), "test_images": len(test.y),
                     "train_images": len(train_idx), "precision": hardware.precision}
                    for w, m in weights.items() for tta in TTA]
            new = not out.exists()
            with out.open("a", newline="") as f:
                writer = csv.DictWriter(f, FIELDS)
                if new:
                    writer.writeheader()
                writer.writerows(rows)
            print(f"{name} {net_name} {epochs} epochs, seed {seed}: {minutes:.1f} min, "
                  + ", ".join(f"{r['weights']}{'' if r['tta'] == 'none' else ' + ' + r['tta']} {100 * r['accuracy']:.2f} %"
                              for r in rows), flush=True)
    report(out)


def report(path: Path) -> None:
    """The whole CSV as a table (accuracy in %, one column per weights/TTA choice) and a plot."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    rows = pd.read_csv(path)
    rows["scored"] = rows.weights + np.where(rows.tta == "none", "", " + " + rows.tta.astype(str) + " TTA")
    table = rows.pivot_table(index=["net", "variant", "epochs", "seed", "minutes"], columns="scored", values="accuracy")
    print(f"\ntest accuracy (%) on {rows.test_images.iloc[0]} images against training minutes ({path}):")
    print((100 * table).round(2).to_string())
    # the plot: each net and variant a colour, final weights with each TTA a line style, a marker per
    # epoch budget; the moving averages are in the table
    passes = {"none": "one pass", "flip": "flip TTA (2 passes)", "flip_translate": "flip + translate TTA (6 passes)"}
    final = rows[rows.weights == "final"].sort_values("minutes").assign(
        accuracy=lambda r: 100 * r.accuracy, run=lambda r: r.net + ", " + r.variant,
        scoring=lambda r: r.tta.map(passes))
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    # one line per seed across epoch budgets: seeds of one budget are points, not a trend
    sns.lineplot(data=final, x="minutes", y="accuracy", hue="run", style="scoring", units="seed", estimator=None,
                 markers=True, ax=ax)
    for _, r in final[final.tta == "none"].iterrows():
        ax.annotate(f"{r.epochs} ep", (r.minutes, r.accuracy), textcoords="offset points", xytext=(4, -10), fontsize=7)
    ax.set(xlabel="wall-clock training minutes (this machine)", ylabel="test accuracy (%)",
           title=f"Time to accuracy: {', '.join(rows.net.unique())}")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path.with_suffix(".png"), dpi=120)
    print(f"plot: {path.with_suffix('.png')}")


if __name__ == "__main__":
    main()
