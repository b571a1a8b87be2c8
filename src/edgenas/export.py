"""ONNX export, checked against PyTorch through ONNX Runtime."""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

from . import ondevice

OPSET = 17


def compact_names(path: str | Path) -> None:
    """Rename nodes and inner tensors to short ids and drop shape annotations, in place.

    Execution ignores names, yet exporter paths (``/stages.0/blocks.1/ops.0.0/...``) and the
    quantizer's suffixes can outweigh the weights of a small net.
    """
    import onnx

    model = onnx.load(str(path))
    graph = model.graph
    keep = {v.name for v in graph.input} | {v.name for v in graph.output}
    names: dict[str, str] = {}

    def short(name: str) -> str:
        if not name or name in keep:
            return name
        return names.setdefault(name, f"t{len(names)}")

    for init in graph.initializer:
        init.name = short(init.name)
    for i, node in enumerate(graph.node):
        node.name = f"n{i}"
        node.doc_string = ""
        node.input[:] = [short(n) for n in node.input]
        node.output[:] = [short(n) for n in node.output]
    del graph.value_info[:]
    onnx.save(model, str(path))


def export_onnx(net: nn.Module, path: str | Path, image_size: int, check_inputs: np.ndarray,
                atol: float = 1e-3) -> float:
    """Export with a dynamic batch axis; returns the largest |ORT - PyTorch| logit difference
    on ``check_inputs`` (normalised NCHW) and raises when it exceeds ``atol``."""
    net.eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(net, (torch.zeros(1, 3, image_size, image_size),), str(path),
                          input_names=["input"], output_names=["logits"], opset_version=OPSET,
                          dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, dynamo=False)
    compact_names(path)
    with torch.no_grad():
        expected = net(torch.from_numpy(check_inputs)).numpy()
    got = ondevice.predict(ondevice.open_session(str(path)), check_inputs)
    diff = float(np.abs(got - expected).max())
    if diff > atol:
        Path(path).unlink()
        raise RuntimeError(f"{path}: ONNX Runtime's output differs from PyTorch's by {diff:.2e} (> {atol})")
    return diff


def export_checkpoint(checkpoint: str, onnx_path: str, check_images: np.ndarray) -> float:
    """Export a saved checkpoint, checked on a few test images (uint8 NHWC)."""
    from .model import load_checkpoint

    net, _, meta = load_checkpoint(checkpoint)
    inputs = ondevice.normalize(check_images, meta["mean"], meta["std"])
    diff = export_onnx(net, onnx_path, meta["image_size"], inputs)
    print(f"{onnx_path}: max |ORT - PyTorch| = {diff:.2e}")
    return diff
