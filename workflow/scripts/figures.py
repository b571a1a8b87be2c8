"""Seaborn figures of the benchmark and the training curves."""
from edgenas.runlog import to_log

to_log(snakemake.log[0])

import pandas as pd  # noqa: E402

from edgenas import figures  # noqa: E402

bench = pd.read_csv(snakemake.input.bench)
figures.accuracy_latency(bench, snakemake.output.accuracy_latency)
figures.size_per_stage(bench, snakemake.output.size)
figures.training_curves({"train": pd.read_csv(snakemake.input.baseline),
                         "fine-tune": pd.read_csv(snakemake.input.finetuned)}, snakemake.output.training_curves)
