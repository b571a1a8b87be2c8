"""Prune the trained net with torch-pruning -> pruned.pt, prune.json."""
from edgenas.runlog import to_log

to_log(snakemake.log[0])

from edgenas.prune import prune_checkpoint  # noqa: E402

prune_checkpoint(snakemake.input.model, snakemake.output.model, snakemake.output.summary, **snakemake.params.prune)
