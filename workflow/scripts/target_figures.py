"""Accuracy-latency and accuracy-size trade-offs and per-stage gains of one target's benchmark."""
from edgenas.runlog import to_log

to_log(snakemake.log[0])

from edgenas import figures  # noqa: E402
from edgenas.records import read_csv  # noqa: E402

bench = read_csv(snakemake.input.bench)
figures.accuracy_latency(bench, snakemake.output.accuracy_latency)
figures.accuracy_size(bench, snakemake.output.accuracy_size)
figures.stage_gains(bench, snakemake.output.stage_gains)
