"""Test accuracy of any stage's model: checkpoints in PyTorch, .onnx files in ONNX Runtime."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..data import ImageArrays
from ..device import ondevice
from ..records import pack_flags

TTA = ("none", "flip", "flip_translate")


@torch.no_grad()
def predict_torch(net: nn.Module, images: np.ndarray, mean, std, batch_size: int = 256,
                  tta: str = "none") -> np.ndarray:
    """Logits of a PyTorch net for uint8 NHWC images. Test-time augmentation (``tta``): ``flip``
    averages those of each image and its mirror, as ``ondevice.predict`` does for an ONNX file;
    ``flip_translate`` is airbench94's: half that, half the mean of the flip-averaged logits of the
    image shifted one pixel up-left and one down-right (reflect-padded), six passes in all."""
    if tta not in TTA:
        raise ValueError(f"tta {tta!r}: one of {', '.join(TTA)}")
    net.eval()
    logits = torch.cat([net(torch.from_numpy(ondevice.normalize(images[i:i + batch_size], mean, std)))
                        for i in range(0, len(images), batch_size)]).numpy()
    if tta == "none":
        return logits
    flipped = (logits + predict_torch(net, images[:, :, ::-1], mean, std, batch_size)) / 2
    if tta == "flip":
        return flipped
    h, w = images.shape[1:3]
    padded = np.pad(images, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="reflect")
    shifted = [predict_torch(net, np.ascontiguousarray(padded[:, dy:dy + h, dx:dx + w]), mean, std, batch_size,
                             tta="flip") for dy, dx in ((0, 0), (2, 2))]
    return (flipped + (shifted[0] + shifted[1]) / 2) / 2


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
