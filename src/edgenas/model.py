"""Evaluation nets built from a searched genotype, and their checkpoints.

A checkpoint holds plain values only (loadable with ``weights_only=True``): the
architecture dict and net settings that rebuild the unpruned net, then torch-pruning's
state dict (parameters, buffers and layer attributes) that reshapes it after pruning.
"""
from __future__ import annotations

import functools
import warnings
from pathlib import Path
from typing import Any

import torch
from torch import nn

warnings.filterwarnings("ignore", message=".*is found to be not a nn.Module.*")

_PLAIN = (int, float, str, bool, type(None))

# The DARTS paper's published DARTS-V2 cells (Liu et al. 2019, fig. 4), as NNI's architecture dict
# (the same cells as nni.nas.hub.pytorch.DARTS.load_searched_model("darts-v2")): the reference
# genotype of the paper preset's test and of the throughput benchmarks.
DARTS_V2: dict[str, Any] = {
    **{f"normal/op_{n}_{i}": op for n, ops in {2: ("sep_conv_3x3", "sep_conv_3x3"), 3: ("sep_conv_3x3", "sep_conv_3x3"),
                                                4: ("sep_conv_3x3", "skip_connect"), 5: ("skip_connect", "dil_conv_3x3")}.items()
       for i, op in enumerate(ops)},
    **{f"normal/input_{n}_{i}": [k] for n, ins in {2: (0, 1), 3: (0, 1), 4: (1, 0), 5: (0, 2)}.items()
       for i, k in enumerate(ins)},
    **{f"reduce/op_{n}_{i}": op for n, ops in {2: ("max_pool_3x3", "max_pool_3x3"), 3: ("skip_connect", "max_pool_3x3"),
                                                4: ("max_pool_3x3", "skip_connect"), 5: ("skip_connect", "max_pool_3x3")}.items()
       for i, op in enumerate(ops)},
    **{f"reduce/input_{n}_{i}": [k] for n, ins in {2: (0, 1), 3: (2, 1), 4: (0, 2), 5: (2, 1)}.items()
       for i, k in enumerate(ins)},
}


@functools.cache
def _add_cell_class():
    """NNI's Cell with node inputs summed by ``+`` instead of ``torch.sum(torch.stack(...))``.

    Same values; but the stack form exports to Unsqueeze/Concat/ReduceSum, which ONNX
    Runtime cannot fuse and INT8 wraps in extra Q/DQ pairs, while ``+`` exports to Add.
    """
    from nni.nas.nn.pytorch.cell import Cell, preprocess_cell_inputs

    class AddCell(Cell):
        def forward(self, *inputs):
            processed = preprocess_cell_inputs(self.num_predecessors, *inputs)
            states = self.preprocessor(processed)
            for ops, inps in zip(self.ops, self.inputs):
                node = None
                for op, inp in zip(ops, inps):
                    out = op(inp(states))
                    node = out if node is None else node + out
                states.append(node)
            return self.postprocessor(torch.cat([states[k] for k in self.output_node_indices], self.concat_dim),
                                      processed)

    return Cell, AddCell


def build_net(arch: dict[str, Any], width: int, num_cells: int, num_classes: int,
              auxiliary: bool = False, drop_path: float = 0.0) -> nn.Module:
    """The DARTS evaluation net with the searched cells, at its own width and depth."""
    from nni.nas.hub.pytorch import DARTS
    from nni.nas.space import model_context

    with model_context(arch):
        net = DARTS(width=width, num_cells=num_cells, dataset="cifar",
                    auxiliary_loss=auxiliary, drop_path_prob=drop_path)
    if num_classes != net.num_labels:  # NNI's CIFAR head is fixed at 10 classes
        net.classifier = nn.Linear(net.classifier.in_features, num_classes)
        if auxiliary:
            head = net.auxiliary_head.classifier
            net.auxiliary_head.classifier = nn.Linear(head.in_features, num_classes)
        net.num_labels = num_classes
    cell_cls, add_cell_cls = _add_cell_class()
    for module in net.modules():
        if type(module) is cell_cls:
            module.__class__ = add_cell_cls
    return net


def build_model(spec: dict[str, Any]) -> nn.Module:
    """Any net a checkpoint holds: a DARTS net (``build_net`` arguments) or a control family."""
    family = spec.get("family", "darts")
    if family == "darts":
        return build_net(**spec)
    from . import controls

    builders = {"resnet20": controls.resnet20, "mobilenetv2": controls.mobilenetv2_cifar}
    return builders[family](spec["num_classes"])


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

    ckpt = torch.load(path, map_location="cpu", weights_only=True)
    net = build_model(ckpt["spec"])
    tp.load_state_dict(net, state_dict=ckpt["state"])
    return net.eval(), ckpt["spec"], ckpt["meta"]
