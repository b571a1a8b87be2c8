"""The INT8 model on a stream of test images -> results/demo/demo.mp4 and its summary."""
import json

from edgenas.runlog import to_log

to_log(snakemake.log[0])

from edgenas.data import ImageArrays  # noqa: E402
from edgenas.demo import Classifier, run  # noqa: E402

p = snakemake.params.demo
frames = (img[:, :, ::-1] for img in ImageArrays.load(snakemake.input.test).x[: p["frames"]])  # RGB -> BGR
summary = run(frames, Classifier(snakemake.input.model, snakemake.threads), out=snakemake.output.video,
              top_k=p["top_k"], display=p["display"], fps_out=p["fps"])
print(json.dumps({k: v for k, v in summary.items() if k != "predictions"}, indent=2))
with open(snakemake.output.summary, "w") as f:
    json.dump(summary, f, indent=2)
