"""Benchmark every deployed model on a target -> results/bench_<target>.csv (local, or a device over SSH)."""
from edgenas.runlog import to_log

to_log(snakemake.log[0])

from edgenas.data import load_test_subset  # noqa: E402
from edgenas.measurement.bench import (  # noqa: E402
    bench_device,
    bench_local,
    model_entries,
    write_rows,
)
from edgenas.records import read_json  # noqa: E402

p, target = snakemake.params, snakemake.wildcards.target
entries = model_entries(p.models)
test = load_test_subset(snakemake.input.test, **p.test)
stats = read_json(snakemake.input.stats)
bench = bench_local if target == "local" else bench_device
write_rows(bench(target, entries, test, stats, **p.settings), snakemake.output.csv)
