"""Prune the trained net with torch-pruning -> pruned.pt, prune.json."""
from edgenas.runlog import to_log

to_log(snakemake.log[0])

from edgenas.compression.prune import prune_checkpoint  # noqa: E402
from edgenas.data import ImageArrays  # noqa: E402
from edgenas.settings import Prune, Split  # noqa: E402

train = ImageArrays.load(snakemake.input.train)
_, val_idx = Split(**snakemake.params.split).indices(len(train.y))
prune_checkpoint(snakemake.input.model, snakemake.output.model, snakemake.output.summary,
                 settings=Prune(**snakemake.params.prune),
                 validation=train.subset(val_idx))
