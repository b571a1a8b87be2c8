"""Does the halving search's fidelity rank a finished run's nets as the full recipe did?

    python benchmarks/search_fidelity.py --run RUN [--fidelities 12000x1,24000x1,24000x2,24000x4] [--out search_fidelity]

RUN is a finished workflow run (``snakemake --cores 2``, with random controls, e.g. the
``nas_vs_random`` preset) of a hardware-aware space. Its nets of the space (the searched net,
``baseline``, and every ``control_random<k>``) are rebuilt from their records and each trained
again from scratch at every fidelity ``IMAGESxEPOCHS``: ``edgenas.search.halving.short_training_accuracy``
with the recipe RUN's search recorded (``results/search/genotype.json``) and RUN's split, in the
precision the search resolves to on this machine, scored on the search's held-out images
(``edgenas.search.halving.held_out`` for rounds on at most the search's ``max_images``, or the largest
IMAGES if more). The ground truth is RUN's own: each net's INT8 and FP32 test accuracy after
``train.epochs`` (``results/eval/<model>_int8.onnx.json``, ``<model>.pt.json``).

Prints one row per net (each fidelity's held-out accuracy, then the run's accuracies) and each
fidelity's Spearman rank correlation with the run's INT8 accuracy; writes ``<out>/fidelity.csv``.
Finished trainings are kept in ``<out>/parts.jsonl``, so a rerun continues. Accuracies do not
depend on what else runs on the machine; the seconds do.
"""
from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml


def run_nets(run: Path) -> dict[str, dict]:
    """The run's nets of the searched space, by model name: their specs and the run's accuracies."""
    import torch

    nets = {}
    for model in ["baseline", *sorted(p.stem for p in (run / "results/models").glob("control_random*.pt"))]:
        int8, fp32 = run / f"results/eval/{model}_int8.onnx.json", run / f"results/eval/{model}.pt.json"
        if not int8.exists():
            raise SystemExit(f"{int8} missing: finish the run first (snakemake {int8.relative_to(run)} --cores 2)")
        nets[model] = {"spec": torch.load(run / f"results/models/{model}.pt", weights_only=True)["spec"],
                       "int8": json.loads(int8.read_text())["accuracy"],
                       "fp32": json.loads(fp32.read_text())["accuracy"]}
    return nets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--run", type=Path, required=True)
    parser.add_argument("--fidelities", default="12000x1,24000x1,24000x2,24000x4")
    parser.add_argument("--out", type=Path, default=Path("search_fidelity"))
    args = parser.parse_args()

    from scipy.stats import spearmanr
    from study_common import Parts

    from edgenas.accel import resolve, use_cpu_threads
    from edgenas.data import ImageArrays
    from edgenas.search.genotype import read_search_result
    from edgenas.search.halving import held_out, short_training_accuracy
    from edgenas.settings import Recipe, Split

    fidelities = [tuple(int(v) for v in f.split("x")) for f in args.fidelities.split(",")]
    config = yaml.safe_load((args.run / "config/config.yaml").read_text())
    nets = run_nets(args.run)
    use_cpu_threads(len(os.sched_getaffinity(0)))
    hardware = resolve(config.get("device", "auto"), str(config.get("precision", "auto")))  # as the search resolves it
    split = Split.from_config(config)
    data = args.run / "resources/data"
    train = ImageArrays.load(data / "train.npz")
    train_idx, val_idx = split.indices(len(train.y))
    searched = read_search_result(args.run / "results/search/genotype.json").search
    # the search's held-out images: none its rounds (on at most max_images) or these fidelities train on
    trained = max(searched["max_images"], *(i for i, _ in fidelities))
    scored = held_out(train_idx, val_idx, split.seed, trained)
    recipe = Recipe(**searched["recipe"])
    args.out.mkdir(parents=True, exist_ok=True)
    parts = Parts(args.out / "parts.jsonl")
    print(f"{len(nets)} nets of {args.run}; held-out {len(scored)} images; {hardware}", flush=True)
    for images, epochs in fidelities:
        for model, net in nets.items():
            key = (model, f"{images}x{epochs}")
            if key in parts.done:
                continue
            began = time.time()
            accuracy = short_training_accuracy(net["spec"]["arch"], train, train_idx, scored,
                                               recipe, images=images, epochs=epochs, seed=split.seed,
                                               workdir=args.out / "work" / model, hardware=hardware,
                                               space=net["spec"]["family"])
            parts.add({"net": model, "part": key[1], "accuracy": accuracy, "seconds": round(time.time() - began, 1)})
            print(parts.done[key], flush=True)
    names = [f"{i}x{e}" for i, e in fidelities]
    frame = pd.DataFrame([{"net": m, **{f: 100 * parts.done[(m, f)]["accuracy"] for f in names},
                           "int8": 100 * n["int8"], "fp32": 100 * n["fp32"]} for m, n in nets.items()])
    frame.to_csv(args.out / "fidelity.csv", index=False)
    print(frame.round(2).to_string(index=False))
    for f in names:
        rho = spearmanr(frame[f], frame.int8)[0] if len(frame) > 2 else float("nan")
        print(f"{f}: rank correlation with the run's INT8 accuracy {rho:.2f} ({len(frame)} nets); "
              f"best by it: {frame.net[int(np.argmax(frame[f]))]}")


if __name__ == "__main__":
    main()
