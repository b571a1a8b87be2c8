"""Accuracy-latency and accuracy-size trade-offs and per-stage gains of one target's benchmark."""
from edgenas.runlog import to_log

to_log(snakemake.log[0])

from edgenas.deliverables import figures  # noqa: E402
from edgenas.records import read_csv  # noqa: E402
from edgenas.search.latency import read_budget  # noqa: E402
from edgenas.words import read_words  # noqa: E402

bench = read_csv(snakemake.input.bench)
words = read_words(snakemake.input.words)
budgets = {key: read_budget(snakemake.input[key]) for key in ("budget", "final_budget") if key in snakemake.input.keys()}
figures.accuracy_latency(bench, snakemake.output.accuracy_latency, words, budgets)
figures.accuracy_size(bench, snakemake.output.accuracy_size, words)
figures.stage_gains(bench, snakemake.output.stage_gains, words)
