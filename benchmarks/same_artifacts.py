"""Whether two runs of the same config produced the same artifacts, timing aside: the check behind a
change that should change no result (a refactor), run on the smoke preset before and after it.

    python benchmarks/same_artifacts.py <run folder before> <run folder after>

Compares, file by file under ``results/``: the search records (``search/*.json``), every checkpoint's
tensors, spec and meta (``models/*.pt``), every ONNX file (byte for byte, else its weights and ops)
and every evaluation (``eval/*.json``, per-image flags included). Fields that hold a time or a measured
latency are left out. Both runs must search the same budget: start the second from the first's decoded
data and latency tables (``resources/``, ``results/latency/``, ``results/checks/``), since a table timed
anew moves the budget. Prints one line per kind and one per file that differs; exits 1 if any does.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

TIMING_WORDS = ("second", "time", "elapsed", "latency", "_ms", "ms_", "per_s", "measured", "planned")


def without_timing(value: Any) -> Any:
    """``value`` with every field that holds a duration, a rate or a measured latency removed."""
    if isinstance(value, dict):
        return {k: without_timing(v) for k, v in value.items() if not any(w in k.lower() for w in TIMING_WORDS)}
    if isinstance(value, list):
        return [without_timing(v) for v in value]
    return value


def same_tensors(a: Any, b: Any) -> bool:
    import torch

    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same_tensors(a[k], b[k]) for k in a)
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and torch.equal(a, b)
    return a == b


def same_json(a: Path, b: Path) -> bool:
    return without_timing(json.loads(a.read_text())) == without_timing(json.loads(b.read_text()))


def same_checkpoint(a: Path, b: Path) -> bool:
    import torch

    x, y = torch.load(a, weights_only=True), torch.load(b, weights_only=True)
    return same_tensors(x["state"], y["state"]) and x["spec"] == y["spec"] and \
        without_timing(x["meta"]) == without_timing(y["meta"])


def same_onnx(a: Path, b: Path) -> bool:
    if a.read_bytes() == b.read_bytes():
        return True
    import onnx
    from onnx import numpy_helper

    ma, mb = onnx.load(a), onnx.load(b)
    wa = {i.name: numpy_helper.to_array(i) for i in ma.graph.initializer}
    wb = {i.name: numpy_helper.to_array(i) for i in mb.graph.initializer}
    return wa.keys() == wb.keys() and all((wa[k] == wb[k]).all() for k in wa) and \
        [n.op_type for n in ma.graph.node] == [n.op_type for n in mb.graph.node]


KINDS = {"search records": ("search/*.json", same_json), "checkpoints": ("models/*.pt", same_checkpoint),
         "ONNX files": ("models/*.onnx", same_onnx), "evaluations": ("eval/*.json", same_json)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path, help="the first run's folder (holding results/)")
    parser.add_argument("after", type=Path, help="the second run's folder")
    args = parser.parse_args()
    differ = 0
    for kind, (pattern, same) in KINDS.items():
        files = sorted((args.before / "results").glob(pattern))
        bad = [f.relative_to(args.before) for f in files
               if not (args.after / f.relative_to(args.before)).exists()
               or not same(f, args.after / f.relative_to(args.before))]
        print(f"{kind}: {len(files) - len(bad)} of {len(files)} identical")
        for f in bad:
            print(f"  differs: {f}")
        differ += len(bad)
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
