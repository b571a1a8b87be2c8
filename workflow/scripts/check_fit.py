"""Refuse, seconds after the data stage of a first run, settings the data is too small for -> results/checks/fit.json.

It reads the whole config (snakemake.config), not params: params would rerun it, and so mask its
dependents, on every change of a setting; changed settings are checked at parse time instead."""
from edgenas.runlog import to_log

to_log(snakemake.log[0])

from edgenas import image_counts  # noqa: E402
from edgenas.records import read_json, write_json  # noqa: E402
from edgenas.settings import Split  # noqa: E402

train_idx, val_idx = Split.from_config(snakemake.config).indices(read_json(snakemake.input.stats)["images"]["train"])
image_counts.check(snakemake.config, len(train_idx), len(val_idx))
write_json({"train_images": len(train_idx), "val_images": len(val_idx)}, snakemake.output.fit)
print(f"the trainings fit {len(train_idx)} training and {len(val_idx)} validation images")
