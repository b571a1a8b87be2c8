"""Architecture search -> genotype.json: hardware-aware on the mobile or dense space, or NNI DARTS."""
from edgenas.runlog import to_log

to_log(snakemake.log[0])


from edgenas.accel import resolve, use_cpu_threads  # noqa: E402
from edgenas.data import ImageArrays  # noqa: E402
from edgenas.search.darts import search_darts  # noqa: E402
from edgenas.search.halving import search_halving  # noqa: E402
from edgenas.search.latency import read_budget, read_latency_table  # noqa: E402
from edgenas.search.spos import search_spos  # noqa: E402
from edgenas.settings import Darts, Halving, Recipe, Split, Spos  # noqa: E402

use_cpu_threads(snakemake.threads)
settings = dict(snakemake.params.search)
space = settings.pop("space")
# NNI's one-shot searches (DARTS, SPOS) keep fp32 on the CPU under precision: auto (edgenas.accel.resolve)
hardware = resolve(**snakemake.params.hardware, cpu_bf16=space != "darts" and settings["strategy"] == "halving")
train = ImageArrays.load(snakemake.input.train)
if space != "darts":
    table, budget = read_latency_table(snakemake.input.latency, space), read_budget(snakemake.input.budget)
    if settings["strategy"] == "halving":
        result = search_halving(train, table=table, budget=budget,
                                halving=Halving(**settings["halving"]),
                                recipe=Recipe(epochs=1, **snakemake.params.recipe),
                                split=Split(**snakemake.params.split), workdir=snakemake.params.workdir,
                                hardware=hardware)
    else:
        result = search_spos(train, table=table, budget=budget,
                             spos=Spos(**settings["spos"]), seed=snakemake.params.seed, workdir=snakemake.params.workdir,
                             hardware=hardware)
else:
    result = search_darts(train, settings=Darts(**settings), seed=snakemake.params.seed,
                          workdir=snakemake.params.workdir, hardware=hardware)
result.write(snakemake.output.genotype)
