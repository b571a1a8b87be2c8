"""Structured channel pruning with torch-pruning (DepGraph)."""
from __future__ import annotations

import torch
from torch import nn

from ..data import ImageArrays
from ..errors import ConfigError
from ..settings import Prune

IMPORTANCES = ("l1", "l2", "bn_scale", "lamp", "fpgm", "random")


def make_importance(name: str):
    """torch-pruning's importance criterion for a config name."""
    import torch_pruning as tp

    factories = {
        "l1": lambda: tp.importance.GroupMagnitudeImportance(p=1),
        "l2": lambda: tp.importance.GroupMagnitudeImportance(p=2),
        "bn_scale": tp.importance.BNScaleImportance,
        "lamp": tp.importance.LAMPImportance,
        "fpgm": tp.importance.FPGMImportance,
        "random": tp.importance.RandomImportance,
    }
    if name not in factories:
        raise ConfigError(f"prune.importance: unknown criterion {name!r} (one of {', '.join(IMPORTANCES)})")
    return factories[name]()


def prune_channels(net: nn.Module, image_size: int, *, ratio: float, importance: str,
                   global_pruning: bool, round_to: int, keep_layers: list[str] = ()) -> nn.Module:
    """Remove ``ratio`` of the channels of every prunable group, in place. The classifier and
    the modules named in ``keep_layers`` (e.g. ``stem``) keep their output channels."""
    import torch_pruning as tp

    modules = dict(net.named_modules())
    unknown = [name for name in keep_layers if name not in modules]
    if unknown:
        tops = ", ".join(name for name, _ in net.named_children())
        raise ConfigError(f"prune.keep_layers: no module named {', '.join(map(repr, unknown))} (top level: {tops})")
    net.eval()
    pruner = tp.pruner.BasePruner(
        net, torch.zeros(1, 3, image_size, image_size), importance=make_importance(importance),
        pruning_ratio=ratio, global_pruning=global_pruning, round_to=round_to or None,
        ignored_layers=[net.classifier, *(modules[name] for name in keep_layers)],
    )
    pruner.step()
    return net


def prune_checkpoint(baseline: str, out_model: str, out_summary: str, *, settings: Prune,
                     validation: ImageArrays) -> dict:
    """Prune a trained checkpoint; records params, MACs and validation accuracy before => after
    (accuracy right after pruning, before any fine-tuning, as Torch-Pruning reports it)."""
    from ..measurement.evaluate import predict_torch
    from ..model import (
        count_macs_params,
        drop_auxiliary_head,
        load_checkpoint,
        save_checkpoint,
    )
    from ..records import write_json

    net, spec, meta = load_checkpoint(baseline)
    drop_auxiliary_head(net)
    spec = dict(spec, auxiliary=False) if "auxiliary" in spec else spec
    size = meta["image_size"]

    def measure() -> dict:
        macs, params = count_macs_params(net, size)
        accuracy = None
        if len(validation.y):
            logits = predict_torch(net, validation.x, meta["mean"], meta["std"])
            accuracy = float((logits.argmax(1) == validation.y).mean())
        return {"macs": macs, "params": params, "val_accuracy": accuracy}

    before = measure()
    prune_channels(net, size, ratio=settings.ratio, importance=settings.importance,
                   global_pruning=settings.global_pruning, round_to=settings.round_to, keep_layers=settings.keep_layers)
    after = measure()
    save_checkpoint(out_model, net, spec, **meta)
    for key in ("params", "macs", "val_accuracy"):
        print(f"{key}: {before[key]} => {after[key]}")
    summary = {"importance": settings.importance, "ratio": settings.ratio, "global_pruning": settings.global_pruning,
               "round_to": settings.round_to, "keep_layers": list(settings.keep_layers),
               "validation_images": int(len(validation.y)),
               "before": before, "after": after}
    write_json(summary, out_summary)
    return summary
