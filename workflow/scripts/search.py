"""NNI DARTS search -> genotype.json."""
from edgenas.runlog import to_log

to_log(snakemake.log[0])

import torch  # noqa: E402

from edgenas.accel import resolve  # noqa: E402
from edgenas.data import ImageArrays  # noqa: E402
from edgenas.records import read_json  # noqa: E402
from edgenas.search import search_darts  # noqa: E402

torch.set_num_threads(snakemake.threads)
stats = read_json(snakemake.input.stats)
result = search_darts(
    ImageArrays.load(snakemake.input.train), stats["mean"], stats["std"], **snakemake.params.search,
    seed=snakemake.params.seed, workdir=snakemake.params.workdir,
    hardware=resolve(**snakemake.params.hardware),
)
result.write(snakemake.output.genotype)
