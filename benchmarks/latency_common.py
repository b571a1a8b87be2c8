"""What the latency-table benchmarks share: the default config's INT8 and timing settings, and
which hardware-aware space they time."""
from __future__ import annotations

import argparse
from pathlib import Path

import yaml

from edgenas.search.spaces import HARDWARE_AWARE

CONFIG = yaml.safe_load((Path(__file__).resolve().parents[1] / "config/config.yaml").read_text())
INT8 = {k: v for k, v in CONFIG["quantize"].items() if k != "calibration_method"}  # as the latency rule deploys
TIMING = CONFIG["latency"]


def add_space_argument(parser: argparse.ArgumentParser) -> None:
    """``--space``: the hardware-aware space whose nets are timed; the default config's
    ``search.space`` (mobile when that is darts, which has no latency table)."""
    searched = CONFIG["search"]["space"]
    parser.add_argument("--space", choices=HARDWARE_AWARE, default=searched if searched in HARDWARE_AWARE else "mobile")
