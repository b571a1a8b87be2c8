"""Training curves of the searched net, its fine-tuning and every control."""
from edgenas.runlog import to_log

to_log(snakemake.log[0])

import pandas as pd  # noqa: E402

from edgenas import figures  # noqa: E402

histories = {"nas train": pd.read_csv(snakemake.input.baseline),
             "nas fine-tune": pd.read_csv(snakemake.input.finetuned)}
histories.update({c: pd.read_csv(h) for c, h in zip(snakemake.params.controls, snakemake.input.controls)})
figures.training_curves(histories, snakemake.output.curves)
