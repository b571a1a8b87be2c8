"""Train one control (random DARTS architecture, ResNet-20 or MobileNetV2) -> control_<name>.pt."""
import json

from edgenas.runlog import to_log

to_log(snakemake.log[0])

import torch  # noqa: E402

from edgenas.train import train_control  # noqa: E402

torch.set_num_threads(snakemake.threads)
p = snakemake.params
train_control(snakemake.wildcards.control, snakemake.input.train, snakemake.input.test,
              json.load(open(snakemake.input.stats)), p.recipe, p.split, p.hardware, p.workdir,
              snakemake.output.model, snakemake.output.history)
