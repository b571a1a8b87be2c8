"""results/edge/: the INT8 model, labels, device programs, a test sample, requirements and a README."""
from edgenas.runlog import to_log

to_log(snakemake.log[0])

from edgenas.data import load_test_subset, take  # noqa: E402
from edgenas.deliverables.bundle import write_edge_bundle  # noqa: E402
from edgenas.records import read_json  # noqa: E402

p = snakemake.params
sample = take(load_test_subset(snakemake.input.test, **p.test), p.images, p.test["seed"])
write_edge_bundle(snakemake.output.bundle, snakemake.input.model, read_json(snakemake.input.stats), sample.x, sample.y)
