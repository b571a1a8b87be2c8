"""The pruned net's shape right after the search -> results/search/pruned_shape.json: the searched net,
untrained, pruned with the prune: settings, as a net of the pruned-shape space (pruned_scratch trains it)."""
from edgenas.runlog import to_log

to_log(snakemake.log[0])

from edgenas.compression.prune import pruned_shape_record  # noqa: E402
from edgenas.records import read_json, write_json  # noqa: E402

shape = pruned_shape_record(snakemake.input.genotype, read_json(snakemake.input.stats), **snakemake.params.prune)
print(f"the searched net pruned by {shape['ratio']:g}, rounded to {shape['round_to']}: {shape['arch']}")
write_json(shape, snakemake.output.shape)
