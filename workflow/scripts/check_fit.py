"""Refuse, seconds after the data stage, settings whose trainings the data is too small for -> results/checks/fit.json."""
from edgenas.runlog import to_log

to_log(snakemake.log[0])

from edgenas import fits  # noqa: E402
from edgenas.data import Split  # noqa: E402
from edgenas.records import read_json, write_json  # noqa: E402

p = snakemake.params
train_idx, val_idx = Split(**p.split).indices(read_json(snakemake.input.stats)["images"]["train"])
fits.check(len(train_idx), len(val_idx), train=p.train, finetune=p.finetune, search=p.search)
write_json({"train_images": len(train_idx), "val_images": len(val_idx)}, snakemake.output.fit)
print(f"the trainings fit {len(train_idx)} training and {len(val_idx)} validation images")
