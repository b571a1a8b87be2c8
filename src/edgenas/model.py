"""Checkpoints of every net the workflow trains, and what rebuilds them.

A checkpoint holds plain values only (loadable with ``weights_only=True``): the spec that
rebuilds the unpruned net (its family and settings, e.g. a searched architecture dict),
torch-pruning's state dict (parameters, buffers and layer attributes) that reshapes it
after pruning, and meta values (preprocessing, class names, the recipe that trained it).
"""
from __future__ import annotations

import pickle
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from .device import ondevice
from .records import DamagedFile, rebuild_hint

warnings.filterwarnings("ignore", message=".*is found to be not a nn.Module.*")

_PLAIN = (int, float, str, bool, type(None))


def builders() -> dict[str, Any]:
    """Model family -> the function that builds it: the one registry of nets."""
    from . import nets
    from .search.spaces import darts, dense, mobile

    return {"darts": darts.build_net, "mobile": mobile.build_net, "dense": dense.build_net, "resnet20": nets.resnet20,
            "mobilenetv2": nets.mobilenetv2_cifar, "airbench94": nets.airbench94}


def build_model(spec: dict[str, Any], seed: int | None = None) -> nn.Module:
    """Any net a checkpoint holds, from its ``spec``: ``family`` names the builder, the
    other keys are its arguments (a searched space's architecture, or a control's settings).
    With a ``seed`` its initial weights are reproducible (imports seed torch at random)."""
    spec = dict(spec)
    family = spec.pop("family")
    known = builders()
    from .search.spaces import hardware_aware, is_hardware_aware

    if is_hardware_aware(family):  # the pruned-shape space's nets too (spaces.pruned)
        known[family] = hardware_aware(family).build_net
    if family not in known:
        raise ValueError(f"unknown model family {family!r} (one of {', '.join(known)})")
    if seed is not None:
        torch.manual_seed(seed)
    return known[family](**spec)


def scratch_copy(pruned: str | Path, seed: int) -> tuple[nn.Module, dict[str, Any]]:
    """Liu et al. 2019's Scratch-E control: a pruned checkpoint's architecture (its channel widths)
    with fresh weights, initialised as its family initialises a new net (the hardware-aware spaces'
    own scheme; PyTorch's defaults elsewhere), batch-norm statistics reset. Returns the net, in
    training mode, and the spec its checkpoint rebuilds it from (with the pruned shapes saved beside)."""
    net, spec, _ = load_checkpoint(pruned)
    torch.manual_seed(seed)
    from .search.spaces import is_hardware_aware

    if is_hardware_aware(spec["family"]):
        from .search.spaces.mobile import initialise

        initialise(net)
    else:
        for module in net.modules():
            if module is not net and hasattr(module, "reset_parameters"):
                module.reset_parameters()
    for module in net.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            module.reset_running_stats()
    return drop_auxiliary_head(net).train(), spec


def drop_auxiliary_head(net: nn.Module) -> nn.Module:
    """The auxiliary head only helps training; deployed nets go without it."""
    if getattr(net, "auxiliary_loss", False):
        del net.auxiliary_head
        net.auxiliary_loss = False
    return net


def count_macs_params(net: nn.Module, image_size: int) -> tuple[int, int]:
    """MACs and parameters of one image's forward pass (torch-pruning's counter)."""
    import torch_pruning as tp

    was_training = net.training
    net.eval()
    macs, params = tp.utils.count_ops_and_params(net, torch.zeros(1, 3, image_size, image_size))
    net.train(was_training)
    return int(macs), int(params)


def _plain(value: Any) -> bool:
    if isinstance(value, (tuple, list)):
        return all(_plain(v) for v in value)
    return type(value) in _PLAIN  # exact types: NNI labels are str subclasses


def save_checkpoint(path: str | Path, net: nn.Module, spec: dict[str, Any], **meta: Any) -> None:
    """Save ``net`` with ``spec`` (what ``build_model`` rebuilds it from) and plain ``meta`` values."""
    import torch_pruning as tp

    full = tp.state_dict(net)
    modules = dict(net.named_modules())

    def settable(name: str, attr: str) -> bool:
        return not isinstance(getattr(type(modules[name]), attr, None), property)

    state = {
        "full_state_dict": {
            name: {k: dict(d[k]) for k in ("_parameters", "_buffers")} for name, d in full["full_state_dict"].items()
        },
        "attributions": {
            name: {k: v for k, v in attrs.items() if _plain(v) and k != "training" and settable(name, k)}
            for name, attrs in full["attributions"].items()
        },
    }
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    torch.save({"spec": spec, "state": state, "meta": meta}, path)


def load_checkpoint(path: str | Path) -> tuple[nn.Module, dict[str, Any], dict[str, Any]]:
    """Rebuild a saved net (pruned or not); returns (net in eval mode, spec, meta)."""
    import torch_pruning as tp

    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, EOFError, pickle.UnpicklingError) as err:
        raise DamagedFile(f"{path} is damaged ({str(err).splitlines()[0]}); {rebuild_hint(path)}") from err
    net = build_model(ckpt["spec"])
    tp.load_state_dict(net, state_dict=ckpt["state"])
    return net.eval(), ckpt["spec"], ckpt["meta"]


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
