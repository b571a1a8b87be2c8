"""Test accuracy of one model on the run's test subset -> results/eval/<model>.json."""
from edgenas.runlog import to_log

to_log(snakemake.log[0])

from edgenas.accel import use_cpu_threads  # noqa: E402
from edgenas.data import load_test_subset  # noqa: E402
from edgenas.measurement.evaluate import evaluate_file  # noqa: E402
from edgenas.records import read_json, write_json  # noqa: E402

stats = read_json(snakemake.input.stats)
test = load_test_subset(snakemake.input.test, **snakemake.params.test)
threads = use_cpu_threads(snakemake.threads)  # beside a training, keep to the job's own cores
metrics = evaluate_file(snakemake.input.model, test, stats["mean"], stats["std"], threads)
print({k: v for k, v in metrics.items() if k not in ("per_class", "correct")})
write_json(metrics, snakemake.output.metrics)
