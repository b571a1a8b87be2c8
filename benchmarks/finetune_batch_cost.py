"""What a fine-tuning step costs per image at each batch size, on the run's pruned net.

    python benchmarks/finetune_batch_cost.py [--model results/models/pruned.pt] [--threads 0]

Times the SGD step of the throughput benchmarks (``throughput_common.plain_loop``; forward,
backward, update; channels-last, as the workflow trains) on random CIFAR-shaped batches. The
batch sizes take turns in every round so drift hits all alike; each is reported as median ms
per image and as its cost relative to batch 128.
Fine-tuning defaults to batch 64 for accuracy (``benchmarks/finetune_accuracy.py``); this
shows what that choice costs in time per epoch.
"""
from __future__ import annotations

import argparse
import statistics
from pathlib import Path

import torch
from throughput_common import plain_loop

from edgenas.accel import channels_last
from edgenas.model import load_checkpoint

SIZES = (32, 64, 128, 256)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="results/models/pruned.pt")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0 = every core)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=5, help="timed steps per batch size and round")
    args = parser.parse_args()
    if not Path(args.model).exists():
        raise SystemExit(f"{args.model} missing; run the workflow up to pruning first "
                         "(snakemake results/models/pruned.pt --cores 2) or pass --model")
    if args.threads:
        torch.set_num_threads(args.threads)
    net, _, meta = load_checkpoint(args.model)
    channels_last(net)
    size, classes = meta["image_size"], net.classifier.out_features
    per_image: dict[int, list[float]] = {b: [] for b in SIZES}
    for _ in range(args.rounds):
        for b in SIZES:
            batch = [(torch.randn(b, 3, size, size).contiguous(memory_format=torch.channels_last),
                      torch.randint(0, classes, (b,)))]
            per_image[b].append(1000 / plain_loop(net, batch, args.steps, warmup=1))
    ms = {b: statistics.median(v) for b, v in per_image.items()}
    print(f"{'batch':>5} {'ms/image':>9} {'cost vs 128':>11}  ({torch.get_num_threads()} threads)")
    for b in SIZES:
        print(f"{b:5d} {ms[b]:9.2f} {ms[b] / ms[128]:11.2f}")


if __name__ == "__main__":
    main()
