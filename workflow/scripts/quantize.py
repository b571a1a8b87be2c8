"""ONNX Runtime static INT8 quantization -> int8.onnx."""
import json

from edgenas.runlog import to_log

to_log(snakemake.log[0])

from edgenas.quantize import calibration_inputs, quantize_int8  # noqa: E402

p = snakemake.params
calibration = calibration_inputs(snakemake.input.train, json.load(open(snakemake.input.stats)),
                                 p.calibration_size, p.split)
quantize_int8(snakemake.input.fp32, snakemake.output.int8, calibration, **p.quantize)
