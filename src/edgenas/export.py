"""ONNX export, checked against PyTorch through ONNX Runtime."""
from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .device import ondevice

OPSET = 17
METADATA_KEYS = ("classes", "mean", "std", "image_size")


def unshare_initializers(graph) -> None:
    """Give every initializer a single consumer (in place on an ``onnx.GraphProto``).

    The exporter and ``quant_pre_process`` share equal constants between nodes (directly or
    through Identity nodes), which ONNX Runtime's quantizer rejects.
    """
    from onnx import numpy_helper

    inits = {i.name: i for i in graph.initializer}
    for node in [n for n in graph.node if n.op_type == "Identity" and n.input[0] in inits]:
        graph.initializer.append(numpy_helper.from_array(numpy_helper.to_array(inits[node.input[0]]), node.output[0]))
        graph.node.remove(node)
    inits = {i.name: i for i in graph.initializer}
    seen: set[str] = set()
    copies = 0
    for node in graph.node:
        for k, name in enumerate(node.input):
            if name in inits:
                if name in seen:
                    copies += 1
                    copy = numpy_helper.from_array(numpy_helper.to_array(inits[name]), f"{name}__copy{copies}")
                    graph.initializer.append(copy)
                    node.input[k] = copy.name
                seen.add(name)
    used = {name for node in graph.node for name in node.input}
    for init in [i for i in graph.initializer if i.name not in used]:
        graph.initializer.remove(init)


def share_equal_initializers(graph) -> None:
    """One initializer per distinct constant (in place): INT8 graphs repeat the same scales
    and zero points many times over. The quantizer needs them unshared, so this runs only
    on finished files."""
    from onnx import TensorProto

    canonical: dict[bytes, str] = {}
    renamed: dict[str, str] = {}
    keep = []
    for init in graph.initializer:
        nameless = TensorProto()
        nameless.CopyFrom(init)
        nameless.name = ""
        key = nameless.SerializeToString(deterministic=True)
        if key in canonical:
            renamed[init.name] = canonical[key]
        else:
            canonical[key] = init.name
            keep.append(init)
    if renamed:
        del graph.initializer[:]
        graph.initializer.extend(keep)
        for node in graph.node:
            node.input[:] = [renamed.get(n, n) for n in node.input]


def tidy_onnx(path: str | Path, metadata: dict | None = None) -> None:
    """Share equal constants, shorten names, drop shape annotations and store ``metadata``
    (class names, preprocessing) in the model, in place.

    Exporter paths (``/stages.0/blocks.1/ops.0.0/...``) plus the quantizer's suffixes and
    repeated scales can outweigh the weights of a small net; execution ignores names.
    """
    import onnx

    model = onnx.load(str(path))
    graph = model.graph
    share_equal_initializers(graph)
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
    if metadata:
        del model.metadata_props[:]
        onnx.helper.set_model_props(model, {f"edgenas.{k}": json.dumps(metadata[k]) for k in METADATA_KEYS
                                            if k in metadata})
    onnx.save(model, str(path))


def export_onnx(net: nn.Module, path: str | Path, check_inputs: np.ndarray, *, atol: float = 1e-3,
                metadata: dict | None = None) -> float:
    """Export with a dynamic batch axis and the input shape of ``check_inputs`` (normalised NCHW);
    returns the largest |ORT - PyTorch| output difference on them and raises when it exceeds ``atol``."""
    net.eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(net, (torch.zeros(1, *check_inputs.shape[1:]),), str(path),
                          input_names=["input"], output_names=["logits"], opset_version=OPSET,
                          dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, dynamo=False)
    tidy_onnx(path, metadata)
    with torch.no_grad():
        expected = net(torch.from_numpy(check_inputs)).numpy()
    got = ondevice.predict(ondevice.open_session(str(path)), check_inputs)
    diff = float(np.abs(got - expected).max())
    if diff > atol:
        Path(path).unlink()
        raise RuntimeError(f"{path}: ONNX Runtime's output differs from PyTorch's by {diff:.2e} (> {atol})")
    return diff


def read_metadata(path: str | Path) -> dict:
    import onnx

    props = {p.key: p.value for p in onnx.load(str(path)).metadata_props}
    return {k: json.loads(props[f"edgenas.{k}"]) for k in METADATA_KEYS if f"edgenas.{k}" in props}


def export_checkpoint(checkpoint: str, onnx_path: str, check_images: np.ndarray) -> float:
    """Export a saved checkpoint, checked on a few test images (uint8 NHWC)."""
    from .model import load_checkpoint

    net, _, meta = load_checkpoint(checkpoint)
    inputs = ondevice.normalize(check_images, meta["mean"], meta["std"])
    diff = export_onnx(net, onnx_path, inputs, metadata=meta)
    print(f"{onnx_path}: max |ORT - PyTorch| = {diff:.2e}")
    return diff
