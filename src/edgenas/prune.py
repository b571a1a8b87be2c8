"""Structured channel pruning with torch-pruning (DepGraph)."""
from __future__ import annotations

import torch
from torch import nn

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
        raise ValueError(f"prune.importance: unknown criterion {name!r} (one of {', '.join(IMPORTANCES)})")
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
        raise ValueError(f"prune.keep_layers: no module named {', '.join(map(repr, unknown))} (top level: {tops})")
    net.eval()
    pruner = tp.pruner.BasePruner(
        net, torch.zeros(1, 3, image_size, image_size), importance=make_importance(importance),
        pruning_ratio=ratio, global_pruning=global_pruning, round_to=round_to or None,
        ignored_layers=[net.classifier, *(modules[name] for name in keep_layers)],
    )
    pruner.step()
    return net


def prune_checkpoint(baseline: str, out_model: str, out_summary: str, *, ratio: float, importance: str,
                     global_pruning: bool, round_to: int, keep_layers: list[str]) -> dict:
    """Prune a trained checkpoint; records params and MACs before and after."""
    import json

    from .model import count_macs_params, drop_auxiliary_head, load_checkpoint, save_checkpoint

    net, spec, meta = load_checkpoint(baseline)
    drop_auxiliary_head(net)
    spec = dict(spec, auxiliary=False)
    size = meta["image_size"]
    before = count_macs_params(net, size)
    prune_channels(net, size, ratio=ratio, importance=importance, global_pruning=global_pruning, round_to=round_to,
                   keep_layers=keep_layers)
    after = count_macs_params(net, size)
    save_checkpoint(out_model, net, spec, **dict(meta, test_accuracy=None))
    summary = {"importance": importance, "ratio": ratio, "global_pruning": global_pruning, "round_to": round_to,
               "keep_layers": list(keep_layers),
               "before": {"macs": before[0], "params": before[1]}, "after": {"macs": after[0], "params": after[1]}}
    with open(out_summary, "w") as f:
        json.dump(summary, f, indent=2)
    print(json.dumps(summary))
    return summary
