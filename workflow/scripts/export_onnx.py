"""Export a checkpoint to ONNX, checked against PyTorch."""
from edgenas.runlog import to_log

to_log(snakemake.log[0])

from edgenas.export import export_checkpoint  # noqa: E402
from edgenas.data import ImageArrays  # noqa: E402

export_checkpoint(snakemake.input.model, snakemake.output.onnx, ImageArrays.load(snakemake.input.test).x[:16])
