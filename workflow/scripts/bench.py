"""Benchmark every stage model on a target -> results/bench_<target>.csv (local, or a device over SSH)."""
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
models = {stage: inp[stage] for stage in p.stages}
complexity = {stage: prune["before"] if stage == "baseline" else prune["after"] for stage in p.stages}
test = ImageArrays.load(inp.test)
if p.device is None:  # this machine
    accuracy = {stage: json.load(open(m))["accuracy"] for stage, m in zip(p.stages, inp.metrics)}
    rows = bench_local(target, models, accuracy, complexity, test.x[:1], stats["mean"], stats["std"],
                       p.bench["threads"], p.bench["warmup"], p.bench["runs"],
                       checkpoints={stage: inp[f"{stage}_pt"] for stage in p.eager_stages})
else:  # a device over SSH: it measures accuracy itself, on its own kernels
    sample = take(test, p.bench["device_images"], p.split["seed"])
    with tempfile.TemporaryDirectory() as tmp:
        write_sample(Path(tmp) / "sample.npz", sample.x, sample.y, stats["mean"], stats["std"])
        result = run_on_device(Target(name=target, **p.device), list(models.values()), str(Path(tmp) / "sample.npz"),
                               p.bench["warmup"], p.bench["runs"], peak_models=matmul_models(tmp))
    print(json.dumps(result["system"]))
    rows = rows_from_device(target, result, models, complexity)
write_rows(rows, snakemake.output.csv)
