"""Test accuracy of one stage's model -> results/eval/<model>.json."""
import json

from edgenas.runlog import to_log

to_log(snakemake.log[0])

from edgenas.data import ImageArrays, take  # noqa: E402
from edgenas.evaluate import evaluate_file  # noqa: E402

stats = json.load(open(snakemake.input.stats))
split = snakemake.params.split
test = take(ImageArrays.load(snakemake.input.test), split["test_limit"], split["seed"])
metrics = evaluate_file(snakemake.input.model, test, stats["mean"], stats["std"])
print(metrics)
with open(snakemake.output.metrics, "w") as f:
    json.dump(metrics, f, indent=2)
