"""Benchmark every model on a target -> results/bench_<target>.csv (local, or a device over SSH)."""
import json
import tempfile
from pathlib import Path

from edgenas.runlog import to_log

to_log(snakemake.log[0])

from edgenas.bench import bench_local, matmul_models, rows_from_device, write_rows  # noqa: E402
from edgenas.data import ImageArrays, take  # noqa: E402
from edgenas.remote import Target, run_on_device, write_sample  # noqa: E402

inp, p, target = snakemake.input, snakemake.params, snakemake.wildcards.target
stats = json.load(open(inp.stats))
prune = json.load(open(inp.prune))
accuracy = {Path(m).name[: -len(".json")]: json.load(open(m))["accuracy"] for m in inp.metrics}
entries = []
for stage in p.stages:  # the NAS net through the compression chain
    size = prune["before"] if stage == "baseline" else prune["after"]
    entries.append({"model": "nas", "stage": stage, "onnx": inp[stage], "accuracy": accuracy[Path(inp[stage]).name],
                    **size, "checkpoint": inp[f"{stage}_pt"] if stage in p.eager_stages else None})
for control, metrics in zip(p.controls, inp.control_checkpoints):
    onnx = inp[f"control_{control}"]
    size = json.load(open(metrics))
    entries.append({"model": control, "stage": "baseline", "onnx": onnx, "accuracy": accuracy[Path(onnx).name],
                    "macs": size["macs"], "params": size["params"]})

test = ImageArrays.load(inp.test)
if p.device is None:  # this machine
    rows = bench_local(target, entries, test.x[:1], stats["mean"], stats["std"], p.bench["threads"],
                       p.bench["warmup"], p.bench["runs"])
else:  # a device over SSH: it measures accuracy itself, on its own kernels
    sample = take(test, p.bench["device_images"], p.split["seed"])
    with tempfile.TemporaryDirectory() as tmp:
        write_sample(Path(tmp) / "sample.npz", sample.x, sample.y, stats["mean"], stats["std"])
        result = run_on_device(Target(name=target, **p.device), [e["onnx"] for e in entries],
                               str(Path(tmp) / "sample.npz"), p.bench["warmup"], p.bench["runs"],
                               peak_models=matmul_models(tmp))
    print(json.dumps(result["system"]))
    rows = rows_from_device(target, result, entries)
write_rows(rows, snakemake.output.csv)
