"""The INT8 model on a stream of the run's test images -> results/demo/demo.mp4 and its summary."""
from edgenas.runlog import to_log

to_log(snakemake.log[0])

from edgenas.data import load_test_subset  # noqa: E402
from edgenas.demo import Classifier, print_summary, run  # noqa: E402
from edgenas.records import write_json  # noqa: E402

p = snakemake.params.demo
frames = load_test_subset(snakemake.input.test, **snakemake.params.test).x[: p["frames"]]  # RGB, as the model wants
summary = run(frames, Classifier(snakemake.input.model, snakemake.threads), out=snakemake.output.video,
              top_k=p["top_k"], display=p["display"], fps_out=p["fps"])
print_summary(summary)
write_json(summary, snakemake.output.summary)
