"""Where batch-1 time goes: ONNX Runtime's per-node profile, summed by op type, FP32 vs INT8.

    python benchmarks/op_profile.py [results/models/finetuned.onnx results/models/int8.onnx] [--threads 1]

For each model: the share of kernel time per op type (convolutions split into pointwise,
depthwise and full by their weights), node counts, and that share of the p50 latency of an
unprofiled session as ms and us per node (the profiler's own timestamps inflate the raw
kernel times, so only their shares are used).
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import tempfile
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort

from edgenas.device import ondevice


def conv_kinds(model: onnx.ModelProto) -> dict[str, str]:
    """Node name -> pointwise / depthwise / full and kernel size, for every convolution."""
    dims = {i.name: tuple(i.dims) for i in model.graph.initializer}
    kinds = {}
    for n in model.graph.node:
        if n.op_type not in ("Conv", "QLinearConv", "FusedConv", "NchwcConv"):
            continue
        w = dims.get(n.input[3 if n.op_type == "QLinearConv" else 1])
        if not w or len(w) != 4:
            continue
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}
        group = attrs.get("group", 1)
        kind = "pointwise" if w[2:] == (1, 1) and group == 1 else ("depthwise" if group > 1 else "full")
        kinds[n.name] = f"{kind} {w[2]}x{w[3]}"
    return kinds


def profile(path: str, threads: int, runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.enable_profiling = True
        opts.profile_file_prefix = str(Path(tmp) / "p")
        opts.optimized_model_filepath = str(Path(tmp) / "optimized.onnx")
        session = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
        kinds = conv_kinds(onnx.load(opts.optimized_model_filepath))
        image = np.random.default_rng(0).standard_normal((1, 3, *session.get_inputs()[0].shape[2:])).astype(np.float32)
        ondevice.latencies_ms(session, image, warmup=20, runs=runs)
        events = json.loads(Path(session.end_profiling()).read_text())
    ms = ondevice.latencies_ms(ondevice.open_session(path, threads), image, warmup=20, runs=runs)  # unprofiled
    time_us = collections.defaultdict(float)
    nodes = collections.defaultdict(set)
    calls = sum(1 for e in events if e.get("name") == "model_run")
    for e in events:
        if e.get("cat") != "Node" or not e["name"].endswith("_kernel_time"):
            continue
        node = e["name"][: -len("_kernel_time")]
        op = e["args"]["op_name"]
        if node in kinds:
            op = f"{op} {kinds[node]}"
        time_us[op] += e["dur"]
        nodes[op].add(node)
    total_ms = sum(time_us.values()) / calls / 1000
    p50 = float(np.percentile(ms, 50))
    print(f"\n{Path(path).name}: {threads} thread(s); p50 {p50:.3f} ms unprofiled "
          f"({total_ms:.3f} ms of kernels when profiled); {sum(len(v) for v in nodes.values())} nodes")
    print(f"  {'op type':<34} {'nodes':>5} {'share':>6} {'ms':>7} {'us/node':>8}")
    for op, us in sorted(time_us.items(), key=lambda kv: -kv[1]):
        share = us / calls / 1000 / total_ms
        print(f"  {op:<34} {len(nodes[op]):5d} {share:6.1%} {share * p50:7.3f} {share * p50 * 1000 / len(nodes[op]):8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="*", default=["results/models/finetuned.onnx", "results/models/int8.onnx"])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    for m in args.models:
        if not os.path.exists(m):
            raise SystemExit(f"{m} missing; run the workflow first (snakemake --cores 2)")
        profile(m, args.threads, args.runs)


if __name__ == "__main__":
    main()
