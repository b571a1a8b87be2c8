"""The shapes pruning gives the dense space's nets: the space the at-final lane searches, planned from
the genotype and the pruning settings alone, before any training."""
import numpy as np
import pytest
import torch

from edgenas.compression.prune import planned_shape, prune_channels
from edgenas.controls import at_final_space
from edgenas.errors import ConfigError
from edgenas.search.latency import sample_archs
from edgenas.search.spaces import dense, hardware_aware, is_hardware_aware
from edgenas.search.spaces.pruned import PrunedShapes, kept_width
from edgenas.settings import Prune


def widths(net: torch.nn.Module) -> list[int]:
    return [m.out_channels for m in net.modules() if isinstance(m, torch.nn.Conv2d)]


@pytest.mark.parametrize("ratio,round_to", [(0.25, 16), (0.5, 8), (0.3, 0)])
def test_the_width_rule_is_torch_prunings_on_every_net_drawn(ratio, round_to):
    """Every group of an untrained dense net pruned by torch-pruning keeps kept_width of its channels
    (a group it would empty keeps them all), so the pruned-shape space's net of the same choices has
    the very widths the pruning gives, whatever the weights."""
    shapes = PrunedShapes(ratio, round_to)
    settings = Prune(importance="l2", ratio=ratio, global_pruning=False, round_to=round_to, keep_layers=[])
    for arch in sample_archs(6, seed=1, space="dense"):
        net = dense.build_net(arch, num_classes=10)
        prune_channels(net, 16, ratio=ratio, importance="random", global_pruning=False, round_to=round_to)
        assert widths(net) == widths(shapes.build_net(shapes.of(arch), num_classes=10)), arch
        assert planned_shape(arch, shapes, image_size=16, num_classes=10, settings=settings) == shapes.of(arch)
    assert kept_width(16, 0.25, 16) == 16 and kept_width(32, 0.25, 16) == 16 and kept_width(192, 0.25, 16) == 144


def test_the_pruned_space_is_a_hardware_aware_space_narrower_than_the_searched_one():
    """It answers to its name like the searched spaces, holds narrower nets than any of the dense space
    (a quarter off 128 and 192 channels: 96 and 144), and its latency table's rows are its own."""
    shapes = hardware_aware("dense@0.25/16")
    assert isinstance(shapes, PrunedShapes) and is_hardware_aware(shapes.name) and not is_hardware_aware("dense@x")
    assert 96 in shapes.STAGES[2].widths and 144 in shapes.STAGES[1].widths and min(shapes.STEM_WIDTHS) == 16
    assert shapes.space_size() < dense.space_size()
    keys = {layer.key for layer in shapes.space_layers(16, 10)}
    for arch in sample_archs(5, seed=2, space=shapes.name):
        layers = shapes.Architecture.from_arch(arch).layers(16, 10)
        assert {layer.key for layer in layers} <= keys
        assert shapes.build_net(arch, num_classes=10)(torch.zeros(1, 3, 16, 16)).shape == (1, 10)
    with pytest.raises(ValueError, match="not in the space"):
        shapes.Architecture.from_arch(dict(sample_archs(1, seed=0, space="dense")[0], s1_width=256))


def test_only_shapes_the_weights_do_not_decide_are_planned():
    """The lane is planned on the dense space pruned group by group; a global ranking, layers kept
    whole or the mobile space leave the shape to the trained weights, so the lane waits for them."""
    plain = Prune(importance="l2", ratio=0.25, global_pruning=False, round_to=16, keep_layers=[])
    assert at_final_space("dense", plain) == "dense@0.25/16"
    assert at_final_space("mobile", plain) is None
    assert at_final_space("dense", Prune(**{**plain.__dict__, "global_pruning": True})) is None
    assert at_final_space("dense", Prune(**{**plain.__dict__, "keep_layers": ["stem"]})) is None


def test_a_shape_torch_pruning_does_not_give_is_refused(monkeypatch):
    """Should torch-pruning ever round otherwise, the plan says so instead of searching other shapes."""
    import edgenas.search.spaces.pruned as pruned

    arch = sample_archs(1, seed=3, space="dense")[0]
    settings = Prune(importance="l2", ratio=0.25, global_pruning=False, round_to=16, keep_layers=[])
    monkeypatch.setattr(pruned, "kept_width", lambda w, r, t: w)
    with pytest.raises(ConfigError, match="at-final space"):
        planned_shape(arch, PrunedShapes(0.25, 16), image_size=16, num_classes=10, settings=settings)


def test_the_planned_budget_times_the_pruned_shape_untrained(tmp_path):
    """The second budget right after the search: the pruned shape built, quantized and timed whole, with
    the table's prediction beside it; after the chain the final model's latency goes beside the plan."""
    from edgenas.search.latency import LatencyTable, measured_budget, planned_budget

    shapes = PrunedShapes(0.25, 16)
    arch = shapes.of(sample_archs(1, seed=4, space="dense")[0])
    layers = {layer.key: {"fp32": 0.01, "int8": 0.01} for layer in shapes.space_layers(16, 10)}
    table = LatencyTable("local", 1, 16, 10, layers, {"fp32": [1.0, 0.0, 0.0], "int8": [1.0, 0.0, 0.0]},
                         space=shapes.name)
    calls = []

    def timer(paths):
        calls.append(paths)
        return {p.split("/")[-1]: 0.05 for p in paths}, {}

    plan = planned_budget(arch, table, timer, quantize={"format": "qdq", "per_channel": True,
                          "activation_type": "uint8", "weight_type": "int8", "reduce_range": True,
                          "keep_fp32": [], "pre_process": False}, rounds=2, seed=0)
    assert len(calls) == 2 and calls[0][0].endswith("_int8.onnx")
    assert plan["planned_ms"] == 0.05 and plan["arch"] == arch and plan["space"] == shapes.name
    assert plan["predicted_ms"] == pytest.approx(table.predict(arch))
    assert plan["latency_ms"] == max(0.05, plan["space_floor_ms"]) and plan["raised"] == (plan["space_floor_ms"] > 0.05)
    final = tmp_path / "int8.onnx"
    final.write_bytes(b"")
    after = measured_budget(str(final), lambda paths: ({"int8.onnx": 0.055}, {}), table, rounds=1, planned=plan)
    assert after["latency_ms"] == plan["latency_ms"] and after["measured_ms"] == 0.055
    assert after["measured_over_planned"] == pytest.approx(1.1)
    assert np.isfinite(after["space_floor_ms"])
