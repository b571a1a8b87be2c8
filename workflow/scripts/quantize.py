"""ONNX Runtime static INT8 quantization -> int8.onnx."""
from edgenas.runlog import to_log

to_log(snakemake.log[0])

from edgenas.quantize import calibration_inputs, quantize_int8  # noqa: E402
from edgenas.records import read_json  # noqa: E402
from edgenas.settings import Quantize, Split  # noqa: E402

p = snakemake.params
calibration = calibration_inputs(snakemake.input.train, read_json(snakemake.input.stats), p.calibration_size,
                                 Split(**p.split))
quantize_int8(snakemake.input.fp32, snakemake.output.int8, calibration, Quantize(**p.quantize))
