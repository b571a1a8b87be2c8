"""Benchmark every stage model on a target -> results/bench_<target>.csv."""
import json

from edgenas.runlog import to_log

to_log(snakemake.log[0])

from edgenas.bench import bench_local, write_rows  # noqa: E402
from edgenas.data import ImageArrays  # noqa: E402

inp, p = snakemake.input, snakemake.params
stats = json.load(open(inp.stats))
prune = json.load(open(inp.prune))
accuracy = {stage: json.load(open(m))["accuracy"] for stage, m in zip(p.stages, inp.metrics)}
complexity = {stage: prune["before"] if stage == "baseline" else prune["after"] for stage in p.stages}
rows = bench_local(snakemake.wildcards.target, {stage: inp[stage] for stage in p.stages}, accuracy, complexity,
                   ImageArrays.load(inp.test).x[:1], stats["mean"], stats["std"], p.bench["threads"],
                   p.bench["warmup"], p.bench["runs"])
write_rows(rows, snakemake.output.csv)
