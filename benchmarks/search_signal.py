"""Which signal ranks the searched space's nets (the run table's: dense or mobile) by what the study
judges: INT8 accuracy after the recipe.

    python benchmarks/search_signal.py [--run .] [--nets 12] [--epochs 2] [--workers 2] [--out search_signal]

Draws ``--nets`` architectures under the default config's latency budget exactly as the random
controls are drawn (``random1``, ``random2``, ...: NNI's sampler, seed k, on the run's latency table
``results/latency/<target>.json``). For each net:

- every cheap score of ``edgenas.search.proxies`` (parameters, MACs, synflow, NASWOT, grad_norm) and their
  rank mean, and the table's predicted INT8 latency;
- each fidelity the default search uses: ``edgenas.search.halving.short_training_accuracy`` at every round's
  images and epochs (``search.hardware_aware.halving``, ``edgenas.image_counts.fidelity_rounds``; keyed by
  the images seen), scored as the search scores,
  on ``edgenas.search.halving.held_out``: the split's validation images and the training images no round uses);
- the ground truth: the net trained from scratch with the config's ``train:`` recipe on the whole
  training split for ``--epochs`` epochs (the study trains ``train.epochs``; fewer here, to fit a
  session), exported, quantized with the config's INT8 settings and calibration images, top-1 of
  the INT8 file (and the FP32 one) on every test image.

Then SPOS's supernet is trained once with the config's ``search.hardware_aware.spos`` settings and scores
every net as the SPOS search does (inherited weights, batch-norm statistics re-estimated).

Prints the Spearman rank correlation of every signal with the INT8 (and FP32) accuracy, writes the
per-net table (``<out>/search_signal.csv``) and a plot of each signal against INT8 accuracy
(``<out>/search_signal.png``). Every finished part is kept in ``<out>/parts.jsonl`` (and trainings
resume from their epoch checkpoints), so a rerun after a crash, or with more ``--nets``, continues.
Accuracies do not depend on what else runs on the machine; the minutes do.
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from study_common import ROOT, Parts

SIGNALS = ("params", "macs", "synflow", "naswot", "grad_norm", "rank_mean", "predicted_ms")


def setting(run: Path) -> dict:
    """The default config, its budget on the run's latency table, and the search's round sizes."""
    from edgenas.image_counts import fidelity_rounds
    from edgenas.search.latency import latency_budget, read_latency_table
    from edgenas.settings import Split

    config = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    hardware = config["search"]["hardware_aware"]
    table_path = run / f"results/latency/{hardware['target']}.json"
    if not table_path.exists():
        raise SystemExit(f"{table_path} missing: build it first (snakemake {table_path.relative_to(run)} --cores 2)")
    table = read_latency_table(table_path)
    halving = hardware["halving"]
    split = Split.from_config(config)
    return {"config": config, "table": str(table_path), "split": split,
            "budget": latency_budget(table, hardware["latency_ms"], hardware["latency_quantile"]),
            "plan": (plan := fidelity_rounds(halving["images"], halving["eta"], halving["candidates"], 45_000,
                                             halving["max_images"])),
            "sizes": [images * epochs for images, epochs in plan]}  # images seen per candidate, each round


def draw(k: int, table_path: str, budget: float) -> dict:
    """random<k> of the table's space under the budget, as ``controls.control_spec`` draws it."""
    from edgenas.search.latency import read_latency_table, sample_archs

    table = read_latency_table(table_path)
    return sample_archs(1, k, lambda a: table.predict(a) <= budget, space=table.space)[0]


def measure_net(k: int, run: str, out: str, epochs: int, threads: int) -> list[dict]:
    """Every part of net ``k`` not yet in ``parts.jsonl`` (runs in a worker process)."""
    import torch

    from edgenas.export import export_onnx
    from edgenas.quantize import calibration_inputs, quantize_int8
    from edgenas.training import train_net
    from edgenas.data import BatchedImages, ImageArrays
    from edgenas.device.ondevice import accuracy, normalize
    from edgenas.model import build_model
    from edgenas.search.halving import held_out, short_training_accuracy
    from edgenas.search.latency import read_latency_table
    from edgenas.search.proxies import cheap_scores
    from edgenas.settings import Quantize, Recipe

    torch.set_num_threads(threads)
    run_dir, out_dir = Path(run), Path(out)
    s = setting(run_dir)
    config, split = s["config"], s["split"]
    parts = Parts(out_dir / "parts.jsonl")
    data = run_dir / "resources/data"
    stats = json.loads((data / "stats.json").read_text())
    train = ImageArrays.load(data / "train.npz")
    train_idx, val_idx = split.indices(len(train.y))
    mean, std = stats["mean"], stats["std"]
    table = read_latency_table(s["table"])
    arch = draw(k, s["table"], s["budget"])
    recipe = Recipe.training(config)
    spec = {"family": table.space, "arch": arch, "num_classes": len(stats["classes"])}
    new = []

    def keep(part: str, **values) -> None:
        row = {"net": k, "part": part, **values}
        parts.add(row)
        new.append(row)
        print(f"net {k} {part}: {values}", flush=True)

    if (k, "cheap") not in parts.done:
        probe = np.random.default_rng(split.seed).choice(train_idx, 64, replace=False)
        images, labels = BatchedImages(train, np.sort(probe))[np.arange(64)]
        torch.manual_seed(split.seed)
        keep("cheap", arch=arch, predicted_ms=table.predict(arch),
             **cheap_scores(build_model(spec), images, labels))
    scored = held_out(train_idx, val_idx, split.seed, max(n for n, _ in s["plan"]))  # as the search scores its rounds
    for (size, round_epochs), seen in zip(s["plan"], s["sizes"]):
        if (k, f"fidelity{seen}") not in parts.done:
            keep(f"fidelity{seen}", images=size, epochs=round_epochs, scored_on=len(scored),
                 accuracy=short_training_accuracy(arch, train, train_idx, scored, recipe, images=size,
                                                  epochs=round_epochs, seed=split.seed,
                                                  workdir=out_dir / f"work/net{k}_fidelity"))
    part = f"trained{epochs}"
    if (k, part) not in parts.done:
        net = build_model(spec, seed=split.seed)
        history = train_net(net, train, train_idx, val_idx, replace(recipe, epochs=epochs), seed=split.seed,
                      workdir=out_dir / f"work/net{k}_trained{epochs}")
        test = ImageArrays.load(data / "test.npz")
        inputs = normalize(test.x, mean, std)
        calibration = calibration_inputs(str(data / "train.npz"), stats, config["data"]["calibration_size"], split)
        with tempfile.TemporaryDirectory() as tmp:
            fp32, int8 = Path(tmp) / "net.onnx", Path(tmp) / "net_int8.onnx"
            export_onnx(net.cpu().eval(), fp32, inputs[:8])
            quantize_int8(fp32, int8, calibration, Quantize.from_config(config))
            keep(part, epochs=epochs, val_acc=float(history[-1]["val_acc"]),
                 minutes=round(sum(float(h["seconds"]) for h in history) / 60, 2),
                 fp32=accuracy(str(fp32), inputs, test.y), int8=accuracy(str(int8), inputs, test.y),
                 test_images=len(test.y))
    return new


def spos_scores(nets: list[int], run: Path, out: Path, parts: Parts) -> None:
    """SPOS's score of every net: its supernet trained once (config's spos settings), then each net
    taken from it with re-estimated batch-norm statistics, scored on the held-out images."""
    import torch

    from edgenas.data import ImageArrays
    from edgenas.search.latency import read_latency_table
    from edgenas.search.spos import (
        recalibrated_accuracy,
        supernet_batches,
        train_supernet,
    )
    from edgenas.settings import Spos

    todo = [k for k in nets if (k, "spos") not in parts.done]
    if not todo:
        return
    s = setting(run)
    spos = Spos.from_config(s["config"])
    torch.set_num_threads(len(os.sched_getaffinity(0)))
    data = run / "resources/data"
    train = ImageArrays.load(data / "train.npz")
    space, cost = train_supernet(train, table=read_latency_table(s["table"]),
                                 budget=s["budget"], spos=spos, seed=s["split"].seed, workdir=out / "work/spos")
    calibration, validation = supernet_batches(train, spos=spos, seed=s["split"].seed)
    for k in todo:
        score = recalibrated_accuracy(space.freeze(draw(k, s["table"], s["budget"])), calibration, validation)
        parts.add({"net": k, "part": "spos", "accuracy": score, "supernet_minutes": round(cost["seconds"] / 60, 2)})
        print(f"net {k} spos: {score:.4f}", flush=True)


def table_of(parts: Parts, nets: list[int], sizes: list[int], epochs: int) -> pd.DataFrame:
    from scipy.stats import rankdata

    from edgenas.search.proxies import SCORES

    rows = []
    for k in nets:
        needed = ["cheap", *(f"fidelity{n}" for n in sizes), f"trained{epochs}"]
        if not all((k, p) in parts.done for p in needed):
            continue
        cheap, trained = parts.done[(k, "cheap")], parts.done[(k, f"trained{epochs}")]
        row = {"net": f"random{k}", **{key: cheap[key] for key in (*SCORES, "predicted_ms")},
               **{f"fidelity {n}": parts.done[(k, f"fidelity{n}")]["accuracy"] for n in sizes},
               "spos": parts.done.get((k, "spos"), {}).get("accuracy", np.nan),
               "val_acc": trained["val_acc"], "fp32": trained["fp32"], "int8": trained["int8"],
               "train_minutes": trained["minutes"]}
        rows.append(row)
    frame = pd.DataFrame(rows)
    if len(frame):
        frame["rank_mean"] = np.mean([rankdata(frame[key]) for key in SCORES], axis=0)
    return frame


def correlations(frame: pd.DataFrame, signals: list[str]) -> pd.DataFrame:
    from scipy.stats import spearmanr

    out = []
    for signal in signals:
        known = frame[[signal, "int8", "fp32"]].dropna()
        if len(known) < 3:
            continue
        rho, p = spearmanr(known[signal], known["int8"])
        out.append({"signal": signal, "nets": len(known), "spearman vs INT8": round(float(rho), 3),
                    "p": round(float(p), 3), "spearman vs FP32": round(float(spearmanr(known[signal], known["fp32"])[0]), 3)})
    return pd.DataFrame(out)


def plot(frame: pd.DataFrame, found: pd.DataFrame, path: Path, epochs: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    signals = list(found.signal)
    cols = 4
    fig, axes = plt.subplots(-(-len(signals) // cols), cols, figsize=(3.2 * cols, 2.8 * -(-len(signals) // cols)),
                             squeeze=False)
    for ax, (_, r) in zip(axes.flat, found.iterrows()):
        ax.scatter(frame[r.signal], 100 * frame["int8"], s=18)
        ax.set_title(f"{r.signal}: rho {r['spearman vs INT8']:+.2f}", fontsize=9)
        ax.set_ylabel("INT8 test accuracy (%)", fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in axes.flat[len(signals):]:
        ax.axis("off")
    fig.suptitle(f"Signals against INT8 accuracy after {epochs} epochs of the recipe ({len(frame)} nets under the budget)",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", default=".", help="workflow folder with resources/data and the latency table")
    parser.add_argument("--nets", type=int, default=12)
    parser.add_argument("--epochs", type=int, default=2, help="epochs of the ground-truth training")
    parser.add_argument("--workers", type=int, default=2, help="nets measured side by side, each on cores/workers threads")
    parser.add_argument("--no-spos", action="store_true", help="skip the SPOS supernet")
    parser.add_argument("--out", default="search_signal")
    args = parser.parse_args()
    run, out = Path(args.run).resolve(), Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    s = setting(run)
    nets = list(range(1, args.nets + 1))
    print(f"budget {s['budget']:.3f} ms INT8; fidelities at {s['sizes']} images; ground truth {args.epochs} epochs",
          flush=True)
    threads = max(1, len(os.sched_getaffinity(0)) // args.workers)
    with ProcessPoolExecutor(args.workers, mp_context=get_context("spawn")) as pool:
        for future in [pool.submit(measure_net, k, str(run), str(out), args.epochs, threads) for k in nets]:
            future.result()
    parts = Parts(out / "parts.jsonl")
    if not args.no_spos:
        spos_scores(nets, run, out, parts)
    frame = table_of(parts, nets, s["sizes"], args.epochs)
    frame.to_csv(out / "search_signal.csv", index=False)
    signals = [*SIGNALS, *(f"fidelity {n}" for n in s["sizes"]), "spos"]
    found = correlations(frame, signals)
    pd.set_option("display.width", 200)
    print(frame.assign(int8=100 * frame.int8, fp32=100 * frame.fp32).round(4).to_string(index=False))
    print(f"\nSpearman rank correlation with the INT8 (FP32) test accuracy after {args.epochs} epochs, "
          f"{len(frame)} nets:")
    print(found.to_string(index=False))
    plot(frame, found, out / "search_signal.png", args.epochs)
    print(f"table: {out / 'search_signal.csv'}, plot: {out / 'search_signal.png'}")


if __name__ == "__main__":
    main()
