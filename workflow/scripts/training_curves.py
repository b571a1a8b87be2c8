"""Training curves of the searched net, its fine-tuning (after the searched net's training) and every
control, against wall-clock minutes."""
from edgenas.runlog import to_log

to_log(snakemake.log[0])

from edgenas.deliverables import figures  # noqa: E402
from edgenas.records import read_csv  # noqa: E402
from edgenas.words import read_words  # noqa: E402

words = read_words(snakemake.input.words)
train, finetune = (words["figures"]["training_curves"][k] for k in ("nas_train", "nas_finetune"))
histories = {train: read_csv(snakemake.input.baseline), finetune: read_csv(snakemake.input.finetuned)}
histories.update({c: read_csv(h) for c, h in zip(snakemake.params.controls, snakemake.input.controls)})
figures.training_curves(histories, snakemake.output.curves, words, continues={finetune: train})
