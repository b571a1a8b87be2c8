"""NNI's DARTS cell space: the typed genotype, and the evaluation net built from it.

A genotype holds two cells (``normal`` keeps the resolution, ``reduce`` halves it); each
has intermediate nodes, and each node sums two edges, an operation applied to an input
(the two previous cells' outputs, or an earlier node of the same cell).
"""
from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

warnings.filterwarnings("ignore", message=".*is found to be not a nn.Module.*")

OPS = ["max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3",
       "dil_conv_5x5"]
NODES_PER_CELL = 4
CELLS = ("normal", "reduce")

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


@dataclass(frozen=True)
class Edge:
    op: str
    source: int  # 0 = c_{k-2}, 1 = c_{k-1}, n >= 2 = intermediate node n - 2

    @property
    def source_name(self) -> str:
        return ("c_{k-2}", "c_{k-1}")[self.source] if self.source < 2 else f"node {self.source - 2}"


@dataclass(frozen=True)
class Genotype:
    """The searched cells: ``cells[name][node]`` is that node's tuple of incoming edges."""

    cells: dict[str, tuple[tuple[Edge, ...], ...]]

    @classmethod
    def from_arch(cls, arch: dict[str, Any]) -> "Genotype":
        """Parse NNI's dict (``normal/op_2_0``: op, ``normal/input_2_0``: [source], ...)."""
        cells = {}
        for cell in CELLS:
            nodes, node = [], 2
            while f"{cell}/op_{node}_0" in arch:
                edges, j = [], 0
                while f"{cell}/op_{node}_{j}" in arch:
                    source = arch[f"{cell}/input_{node}_{j}"]
                    edges.append(Edge(str(arch[f"{cell}/op_{node}_{j}"]),
                                      int(source[0] if isinstance(source, list) else source)))
                    j += 1
                nodes.append(tuple(edges))
                node += 1
            if not nodes:
                raise ValueError(f"no '{cell}' cell in the architecture dict (keys like '{cell}/op_2_0')")
            cells[cell] = tuple(nodes)
        return cls(cells)


def arch_weight_labels() -> list[str]:
    """Names of the weights NNI learns per edge: the candidate ops, then 'none' (no edge from here)."""
    return [*OPS, "none"]


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


def build_net(arch: dict[str, Any], *, width: int, num_cells: int, num_classes: int, auxiliary: bool = False,
              drop_path: float = 0.0) -> nn.Module:
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


def random_arch(seed: int) -> dict[str, Any]:
    """A uniform sample of the space (every op and input choice), reproducible by seed."""
    import numpy as np
    from nni.nas.hub.pytorch import DARTS

    space = DARTS(width=4, num_cells=3, dataset="cifar")  # the cell choices do not depend on size
    rng = np.random.RandomState(seed)
    sample: dict[str, Any] = {}
    for label, mutable in space.simplify().items():
        sample[label] = mutable.random(memo=sample, random_state=rng)
    # plain str/int (NNI's labels are str subclasses), so checkpoints load with weights_only=True
    return {str(k): [int(i) for i in v] if isinstance(v, list) else str(v) for k, v in sample.items()}


def reduction_cells(num_cells: int) -> tuple[int, int]:
    """Where NNI puts the two reduction cells (counting from 0): at a third and two thirds of the depth."""
    return num_cells // 3, 2 * num_cells // 3
