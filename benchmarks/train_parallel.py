"""Two trainings side by side on half the cores each, against one on every core: images/s.

    python benchmarks/train_parallel.py [--checkpoint results/models/baseline.pt] [--net resnet20 mobilenetv2]
                                        [--steps 30] [--rounds 2]

Why the workflow trains the searched net and its controls two at a time (common.smk,
TRAIN_THREADS): a CPU's training step does not scale linearly with threads (small convolutions,
batch-norm and the optimiser's element-wise work leave cores waiting), so two jobs at half the
threads can do more images per second between them than one job at all of them. Each setting
runs the same SGD steps (batch 128, the workflow's batched augmentation, channels-last) in fresh
processes; the two settings alternate for ``--rounds`` rounds in this one run, and the table gives
each setting's median and the ratio of the pair (two side by side, summed, over one alone).
Run it alone on the machine: anything else running shares the cores being measured.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def worker(net_name: str, threads: int, steps: int) -> None:
    """One training process: print its median images/s over ``steps`` steps after three warm-up steps."""
    import numpy as np
    import torch
    from throughput_common import cifar_shaped, plain_loop

    from edgenas.accel import channels_last
    from edgenas.data import BatchedImages, make_loader
    from edgenas.model import build_model, load_checkpoint

    torch.set_num_threads(threads)
    if net_name.endswith(".pt"):
        net, _, _ = load_checkpoint(net_name)
    else:
        net = build_model({"family": net_name, "num_classes": 10}, seed=0)
    net = channels_last(net).train()
    batch = 128
    arrays = cifar_shaped(batch * 8)
    loader = make_loader(BatchedImages(arrays, np.arange(len(arrays.y)), augment=True),
                         batch, shuffle=True, drop_last=True, seed=0)
    print(plain_loop(net, loader, steps))  # the throughput benchmarks' own SGD loop


def run_side_by_side(net: str, threads: int, jobs: int, steps: int) -> float:
    """Images/s summed over ``jobs`` processes started together, each at ``threads`` threads."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", net, str(threads), str(steps)]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]))
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env) for _ in range(jobs)]
    rates = []
    for p in procs:
        out, _ = p.communicate()
        if p.returncode != 0:
            raise SystemExit(f"worker for {net} at {threads} threads failed (exit {p.returncode})")
        rates.append(float(out.strip().splitlines()[-1]))
    return sum(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoint", help="a workflow checkpoint (e.g. results/models/baseline.pt) measured too")
    parser.add_argument("--net", nargs="+", default=["resnet20", "mobilenetv2"], help="built-in nets to measure")
    parser.add_argument("--steps", type=int, default=30, help="timed steps per process")
    parser.add_argument("--rounds", type=int, default=2, help="times each setting runs, alternating")
    parser.add_argument("--worker", nargs=3, metavar=("NET", "THREADS", "STEPS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker[0], int(args.worker[1]), int(args.worker[2]))
        return

    cores = len(os.sched_getaffinity(0))
    if cores < 2:
        raise SystemExit("train_parallel: this machine has 1 core; there is nothing to run side by side")
    half = cores // 2
    nets = ([args.checkpoint] if args.checkpoint else []) + args.net
    print(f"{cores} cores; one training at {cores} threads against two side by side at {half} each; "
          f"{args.steps} steps of batch 128 per process, {args.rounds} rounds")
    print(f"{'net':<40} {'one alone':>10} {'two, summed':>12} {'ratio':>6}")
    for net in nets:
        alone, pair = [], []
        for _ in range(args.rounds):
            alone.append(run_side_by_side(net, cores, 1, args.steps))
            pair.append(run_side_by_side(net, half, 2, args.steps))
        a, p = statistics.median(alone), statistics.median(pair)
        each = " ".join(f"{x:.0f}" for x in alone) + " / " + " ".join(f"{x:.0f}" for x in pair)
        print(f"{Path(net).name:<40} {a:10.1f} {p:12.1f} {p / a:5.2f}x   (each round: {each})", flush=True)


if __name__ == "__main__":
    main()
