"""Structured channel pruning with torch-pruning (DepGraph)."""
from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ..data import ImageArrays
from ..errors import ConfigError
from ..search.spaces.pruned import PrunedShapes
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


def planned_shape(arch: dict[str, Any], shapes: PrunedShapes, *, image_size: int, num_classes: int,
                  settings: Prune) -> dict[str, Any]:
    """The pruned net's architecture before any training: the searched dense net ``arch``, untrained,
    pruned here with ``settings`` (every group by the same share, so the shape does not depend on
    the weights), as a net of the pruned-shape space ``shapes``. Refused where torch-pruning gives
    another shape than the space's width rule (``spaces.pruned.kept_width``) predicts, since the
    at-final lane would then search other shapes than the pruning makes."""
    from ..search.spaces import dense

    planned = shapes.of(arch)
    net = dense.build_net(arch, num_classes=num_classes)
    prune_channels(net, image_size, ratio=settings.ratio, importance=settings.importance,
                   global_pruning=settings.global_pruning, round_to=settings.round_to, keep_layers=settings.keep_layers)
    expected = shapes.build_net(planned, num_classes=num_classes)
    got, want = _shape(net), _shape(expected)
    if got != want:
        raise ConfigError(f"prune: torch-pruning cut the searched net to {got} channels, where the at-final space "
                          f"{shapes.name} expects {want}; set prune.global_pruning: true to wait for the pruned "
                          "model instead")
    return planned


def pruned_shape_record(search_result: str, stats: dict[str, Any], *, ratio: float, round_to: int) -> dict[str, Any]:
    """``results/search/pruned_shape.json``: the searched net's pruned shape (``planned_shape``) as a net
    of the pruned-shape space, beside the searched architecture. Local pruning: the importance ranks
    channels, which does not change how many each group keeps, so it is not a setting here."""
    from ..search.genotype import read_search_result

    result = read_search_result(search_result)
    shapes = PrunedShapes(ratio, round_to)
    settings = Prune(importance="l2", ratio=ratio, global_pruning=False, round_to=round_to, keep_layers=[])
    arch = planned_shape(result.arch, shapes, image_size=stats["image_size"], num_classes=len(stats["classes"]),
                         settings=settings)
    return {"space": shapes.name, "arch": arch, "searched": result.arch, "ratio": ratio, "round_to": round_to}


def _shape(net: nn.Module) -> list[int]:
    return [m.out_channels for m in net.modules() if isinstance(m, nn.Conv2d)]


def prune_checkpoint(baseline: str, out_model: str, out_summary: str, *, settings: Prune,
                     validation: ImageArrays) -> dict:
    """Prune a trained checkpoint; records params, MACs and validation accuracy before => after
    (accuracy right after pruning, before any fine-tuning, as Torch-Pruning reports it)."""
    from ..model import predict_torch
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
