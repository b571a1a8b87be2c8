"""How to spend a latency table's timing runs on a machine with slow spells: few long passes
or many short ones.

    python benchmarks/latency_rounds.py [--space dense] [--nets 16] [--settings 3x100 8x25 12x25]

``--nets`` nets of the searched space (``--space``: the default config's ``search.space`` unless
named) and every layer they contain (CIFAR size, INT8 as the default config deploys them) are timed
as the latency rule times them: ``rounds`` passes over all files, ``runs`` calls each (p50), the
quietest pass kept. Each setting builds two tables in turn, A and B. Per setting: how far A and B
lie apart (median |log ratio| of layers and of nets: what a rebuilt table would change) and, within
each table, the rank correlation of the nets' measured latency with the sum of their layers (what
the table's check measures; the correction fitted on top of the sum does not change the ranks).
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from latency_common import INT8, TIMING, add_space_argument
from scipy.stats import spearmanr

from edgenas.search.latency import export_pair, local_timer, sample_archs
from edgenas.search.spaces import hardware_aware

parser = argparse.ArgumentParser()
add_space_argument(parser)
parser.add_argument("--nets", type=int, default=16)
parser.add_argument("--settings", nargs="+", default=["3x100", "8x25", "12x25"], help="ROUNDSxRUNS")
args = parser.parse_args()
torch.manual_seed(0)
rng = np.random.default_rng(0)
folder = Path(tempfile.mkdtemp())
space = hardware_aware(args.space)
archs = sample_archs(args.nets, seed=7, space=args.space, distinct=True)
layers = sorted({layer for a in archs for layer in space.Architecture.from_arch(a).layers(32, 10)}, key=lambda x: x.key)
files = {layer.key: export_pair(layer.module(), (layer.cin, layer.resolution, layer.resolution), folder, f"l{i}",
                                INT8, rng)[1] for i, layer in enumerate(layers)}
files.update({f"net{i}": export_pair(space.build_net(a, num_classes=10), (3, 32, 32), folder, f"n{i}", INT8, rng)[1]
              for i, a in enumerate(archs)})
threads, warmup = TIMING["threads"], TIMING["warmup"]


def table(rounds: int, runs: int) -> dict[str, float]:
    timer = local_timer(threads, warmup, runs)
    passes = [timer(list(files.values()))[0] for _ in range(rounds)]
    return {key: min(p[Path(f).name] for p in passes) for key, f in files.items()}


def sum_rank(t: dict[str, float]) -> float:
    sums = [sum(t[layer.key] for layer in space.Architecture.from_arch(a).layers(32, 10)) for a in archs]
    return float(spearmanr(sums, [t[f"net{i}"] for i in range(len(archs))])[0])


print(f"{len(layers)} layers and {len(archs)} nets of the {args.space} space, INT8, {threads} thread(s), warm-up {warmup}")
print(f"{'rounds x runs':>13} {'s per table':>11} {'A/B layers':>10} {'A/B nets':>9} {'rho A':>6} {'rho B':>6}")
for setting in args.settings:
    rounds, runs = map(int, setting.split("x"))
    start = time.perf_counter()
    a, b = table(rounds, runs), table(rounds, runs)
    seconds = (time.perf_counter() - start) / 2
    apart = {kind: np.median([abs(np.log(a[k] / b[k])) for k in files if k.startswith("net") == (kind == "nets")])
             for kind in ("layers", "nets")}
    print(f"{setting:>13} {seconds:11.0f} {100 * apart['layers']:9.1f}% {100 * apart['nets']:8.1f}% "
          f"{sum_rank(a):6.3f} {sum_rank(b):6.3f}")
