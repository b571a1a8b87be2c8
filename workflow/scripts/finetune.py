"""Fine-tune the pruned net -> finetuned.pt."""
import json

from edgenas.runlog import to_log

to_log(snakemake.log[0])

import torch  # noqa: E402

from edgenas.train import finetune_pruned  # noqa: E402

torch.set_num_threads(snakemake.threads)
p = snakemake.params
finetune_pruned(snakemake.input.model, snakemake.input.teacher, snakemake.input.train, snakemake.input.test,
                json.load(open(snakemake.input.stats)), p.recipe, p.base_recipe, p.split, p.hardware, p.workdir,
                snakemake.output.model, snakemake.output.history)
