"""Architecture search -> genotype.json: hardware-aware on the mobile space, or NNI DARTS."""
from edgenas.runlog import to_log

to_log(snakemake.log[0])


from edgenas.accel import resolve, use_cpu_threads  # noqa: E402
from edgenas.data import ImageArrays  # noqa: E402
from edgenas.latency import read_latency_table  # noqa: E402
from edgenas.records import read_json  # noqa: E402
from edgenas.search import search_darts, search_hardware_aware  # noqa: E402

use_cpu_threads(snakemake.threads)
settings = dict(snakemake.params.search)
space = settings.pop("space")
stats = read_json(snakemake.input.stats)
common = dict(seed=snakemake.params.seed, workdir=snakemake.params.workdir, hardware=resolve(**snakemake.params.hardware))
train = ImageArrays.load(snakemake.input.train)
if space == "mobile":
    settings.pop("target")
    result = search_hardware_aware(train, stats["mean"], stats["std"], table=read_latency_table(snakemake.input.latency),
                                   **settings, **common)
else:
    result = search_darts(train, stats["mean"], stats["std"], **settings, **common)
result.write(snakemake.output.genotype)
