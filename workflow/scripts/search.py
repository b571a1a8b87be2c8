"""NNI DARTS search -> genotype.json."""
import json

from edgenas.runlog import to_log

to_log(snakemake.log[0])

import torch  # noqa: E402

from edgenas.accel import resolve  # noqa: E402
from edgenas.data import ImageArrays  # noqa: E402
from edgenas.search import search_darts, write_genotype  # noqa: E402

torch.set_num_threads(snakemake.threads)
stats = json.load(open(snakemake.input.stats))
record = search_darts(
    ImageArrays.load(snakemake.input.train), stats["mean"], stats["std"], **snakemake.params.search,
    seed=snakemake.params.seed, workdir=snakemake.params.workdir,
    hardware=resolve(**snakemake.params.hardware),
)
write_genotype(record, snakemake.output.genotype)
