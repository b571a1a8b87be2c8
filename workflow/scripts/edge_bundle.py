"""results/edge/: the INT8 model, labels, device programs, requirements and a README."""
import json

from edgenas.runlog import to_log

to_log(snakemake.log[0])

from edgenas.bundle import write_edge_bundle  # noqa: E402
from edgenas.data import ImageArrays, take  # noqa: E402

sample = take(ImageArrays.load(snakemake.input.test), snakemake.params.images, snakemake.params.split["seed"])
write_edge_bundle(snakemake.output.bundle, snakemake.input.model, json.load(open(snakemake.input.stats)),
                  sample.x, sample.y)
