"""Test accuracy of any stage's model: checkpoints in PyTorch, .onnx files in ONNX Runtime."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..data import ImageArrays
from ..model import predict_torch
from ..device import ondevice
from ..records import pack_flags

def load_onnx(model: str | Path, threads: int = 0):
    """An ONNX Runtime session, or a ``DamagedFile`` naming the file and the command that rebuilds
    it (ONNX Runtime's load errors, INVALID_PROTOBUF and the like, share no Python base class)."""
    from ..records import DamagedFile, rebuild_hint

    try:
        return ondevice.open_session(str(model), threads)
    except Exception as err:  # noqa: BLE001
        raise DamagedFile(f"{model} is damaged (ONNX Runtime cannot load it: {str(err).splitlines()[0]}); "
                          f"{rebuild_hint(model)}") from err


def evaluate_file(model: str | Path, test: ImageArrays, mean, std, threads: int = 0) -> dict:
    """Top-1 accuracy and per-class accuracy on the test split, and which images it got right
    (``records.pack_flags``: what a paired test between two models on the same images reads); MACs and parameters of a checkpoint
    (counted on the same loaded net, as deployed: without the training-only auxiliary head).
    ``threads``: ONNX Runtime's, so an evaluation beside a training keeps to its own cores."""
    complexity = {}
    if Path(model).suffix == ".pt":
        from ..model import count_macs_params, drop_auxiliary_head, load_checkpoint

        net, _, meta = load_checkpoint(model)
        logits = predict_torch(net, test.x, mean, std)
        complexity["macs"], complexity["params"] = count_macs_params(drop_auxiliary_head(net), meta["image_size"])
    else:
        logits = ondevice.predict(load_onnx(model, threads), ondevice.normalize(test.x, mean, std))
    correct = logits.argmax(1) == test.y
    per_class = {c: float(correct[test.y == i].mean()) for i, c in enumerate(test.classes) if (test.y == i).any()}
    return {"model": Path(model).name, "accuracy": float(correct.mean()), "images": int(len(test.y)),
            "per_class": per_class, "correct": pack_flags(correct), **complexity}
