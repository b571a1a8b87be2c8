"""INT8 with ONNX Runtime: static quantization calibrated on a training subset."""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import onnx
from onnxruntime.quantization import (
    CalibrationDataReader,
    CalibrationMethod,
    QuantFormat,
    QuantType,
    quantize_static,
)
from onnxruntime.quantization.shape_inference import quant_pre_process

from .settings import Quantize, Split
from .export import read_metadata, tidy_onnx, unshare_initializers

FORMATS = {"qdq": QuantFormat.QDQ, "qoperator": QuantFormat.QOperator}
TYPES = {"int8": QuantType.QInt8, "uint8": QuantType.QUInt8}
METHODS = {"minmax": CalibrationMethod.MinMax, "entropy": CalibrationMethod.Entropy,
           "percentile": CalibrationMethod.Percentile}


class ArrayReader(CalibrationDataReader):
    """Feeds normalised calibration images in batches."""

    def __init__(self, inputs: np.ndarray, batch_size: int = 32, input_name: str = "input"):
        self.batches = iter([{input_name: inputs[i:i + batch_size]} for i in range(0, len(inputs), batch_size)])

    def get_next(self):
        return next(self.batches, None)


def quantize_int8(fp32: str | Path, int8: str | Path, calibration: np.ndarray, settings: Quantize) -> None:
    """``quant_pre_process`` (shape inference, graph optimisation) then ``quantize_static``.

    ``settings.reduce_range`` quantizes weights to 7 bits: x86 CPUs without VNNI add pairs of u8 x s8
    products into 16-bit lanes that saturate with 8-bit weights, so the same file scores lower
    there than on VNNI or Arm (benchmarks/int8_isa.py). ``settings.keep_fp32`` names op types left
    unquantized (every other quantizable op is quantized)."""
    pre_process, keep_fp32 = settings.pre_process, settings.keep_fp32
    with tempfile.TemporaryDirectory() as tmp:
        prepared = Path(tmp) / "prepared.onnx"
        if pre_process:
            quant_pre_process(str(fp32), str(prepared))
        model = onnx.load(str(prepared if pre_process else fp32))
        unshare_initializers(model.graph)
        onnx.save(model, str(prepared))
        op_types = sorted({n.op_type for n in model.graph.node} - set(keep_fp32)) if keep_fp32 else None
        quantize_static(
            str(prepared), str(int8), ArrayReader(calibration),
            quant_format=FORMATS[settings.format], per_channel=settings.per_channel,
            activation_type=TYPES[settings.activation_type], weight_type=TYPES[settings.weight_type],
            reduce_range=settings.reduce_range, calibrate_method=METHODS[settings.calibration_method],
            op_types_to_quantize=op_types,
        )
    tidy_onnx(int8, read_metadata(fp32))


def calibration_inputs(train_npz: str, stats: dict, size: int, split: Split) -> np.ndarray:
    """Normalised calibration images: a seeded subset of the training split."""
    from .data import ImageArrays, calibration_indices
    from .device.ondevice import normalize

    train = ImageArrays.load(train_npz)
    train_idx, _ = split.indices(len(train.y))
    idx = calibration_indices(train_idx, size, split.seed)
    return normalize(train.x[idx], stats["mean"], stats["std"])
