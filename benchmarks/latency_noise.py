"""How steady a latency table's timings are on this machine, and what its passes buy.

    python benchmarks/latency_noise.py [--space dense] [--nets 6] [--passes 6]

Six nets of the searched space (``--space``: the default config's ``search.space`` unless named;
CIFAR size, INT8 as deployed) are timed with the default config's
table settings (threads, warm-up and runs of ``latency:``, p50) in passes over all of them, as the latency rule does. Per
net: the spread of single passes ((max - min) / median), and how far apart two tables built with
``latency.rounds: 3`` would be (the quietest of passes 1-3 against the quietest of passes 4-6).
"""
from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import torch
from latency_common import INT8, TIMING, add_space_argument

from edgenas.search.latency import export_pair, local_timer, sample_archs
from edgenas.search.spaces import hardware_aware

parser = argparse.ArgumentParser()
add_space_argument(parser)
parser.add_argument("--nets", type=int, default=6)
parser.add_argument("--passes", type=int, default=6)
args = parser.parse_args()
torch.manual_seed(0)
rng = np.random.default_rng(0)
folder = Path(tempfile.mkdtemp())
build_net = hardware_aware(args.space).build_net
paths = [export_pair(build_net(a, num_classes=10), (3, 32, 32), folder, f"net{i}", INT8, rng)[1]
         for i, a in enumerate(sample_archs(args.nets, seed=5, space=args.space, distinct=True))]
print(f"{args.nets} nets of the {args.space} space, INT8, {TIMING['threads']} thread(s), {TIMING['runs']} runs per pass")
timer = local_timer(TIMING["threads"], TIMING["warmup"], TIMING["runs"])
passes = [timer(paths)[0] for _ in range(args.passes)]
half = args.passes // 2
single, quietest = [], []
for p in paths:
    t = np.array([r[Path(p).name] for r in passes])
    single.append(np.ptp(t) / np.median(t))
    quietest.append(abs(t[:half].min() - t[half:].min()) / np.median(t))
    print(f"{Path(p).name}: p50 per pass {np.round(t, 3)} ms; single passes {100 * single[-1]:.0f} % apart, "
          f"quietest of {half}: {100 * quietest[-1]:.1f} %")
print(f"median over nets: single passes {100 * np.median(single):.0f} % apart, "
      f"quietest of {half} passes {100 * np.median(quietest):.1f} %")
