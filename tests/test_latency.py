"""The latency model's correction against a synthetic target whose true costs are known (no timing):
it recovers them, its check reports what they imply, no net is ever predicted below zero, and a
budget binds."""
import numpy as np
import pytest

from edgenas.search.latency import (
    FORMATS,
    LatencyTable,
    calibrate,
    errors,
    least_squares_correction,
    resolve_budget,
    sample_archs,
)
from edgenas.search.spaces import dense

CALL_MS = 0.05     # what a model call costs, paid by every layer timed alone and once by a whole net
NET_CALL_MS = 0.08  # a whole net's call (its input's and output's quantization included)


def synthetic_target(seed: int = 0, spread: tuple[float, float] = (0.01, 0.2)) -> tuple[LatencyTable, dict]:
    """A table of the dense space whose layers cost ``compute`` plus a call each when timed alone."""
    rng = np.random.default_rng(seed)
    compute = {layer.key: {fmt: float(rng.uniform(*spread)) for fmt in FORMATS}
               for layer in dense.space_layers(32, 10)}
    table = LatencyTable("synthetic", 1, 32, 10, layers={k: {f: c + CALL_MS for f, c in v.items()}
                                                         for k, v in compute.items()},
                         correction={fmt: [1.0, 0.0, 0.0] for fmt in FORMATS}, space="dense")
    return table, compute


def whole_nets(table: LatencyTable, compute: dict, archs: list[dict]) -> dict[str, np.ndarray]:
    """What the synthetic target measures for whole nets: their layers' compute and one call."""
    layers = [dense.Architecture.from_arch(a).layers(table.image_size, table.num_classes) for a in archs]
    return {fmt: np.array([sum(compute[layer.key][fmt] for layer in net) + NET_CALL_MS for net in layers])
            for fmt in FORMATS}


def test_the_correction_recovers_the_targets_true_costs_and_its_check_says_what_they_imply():
    table, compute = synthetic_target()
    archs = sample_archs(32, seed=1, space="dense")
    measured = whole_nets(table, compute, archs)
    calibrate(table, archs, measured, calibration_nets=12)
    for fmt in FORMATS:
        scale, per_layer, constant = table.correction[fmt]
        # measured = sum of layers alone - (layers x a call) + a net's call: scale 1, minus a call, a net's call
        assert scale == pytest.approx(1.0, abs=1e-9)
        assert per_layer == pytest.approx(-CALL_MS, abs=1e-9) and constant == pytest.approx(NET_CALL_MS, abs=1e-9)
        check = table.checks[fmt]
        assert check["corrected"]["mape"] < 1e-9 and check["corrected"]["spearman"] == pytest.approx(1.0)
        # the raw layer sum overcounts each net's calls: by (layers - 1) x CALL_MS + CALL_MS - NET_CALL_MS
        val = [n for n in table.checks["nets"] if n["use"] == "validation"]
        over = [(n[fmt]["layer_sum"] - n[fmt]["measured"]) / n[fmt]["measured"] for n in val]
        assert check["raw"]["mape"] == pytest.approx(np.mean(np.abs(over))) and min(over) > 0
        for n in val:
            count = len(dense.Architecture.from_arch(n["arch"]).layers(32, 10))
            assert n[fmt]["layer_sum"] - n[fmt]["measured"] == pytest.approx(count * CALL_MS - NET_CALL_MS)
    assert table.checks["calibration_nets"] == 12 and table.checks["validation_nets"] == 20


def test_no_net_is_predicted_below_zero_whatever_few_nets_the_correction_is_fitted_on():
    """Layers that time alike (the smoke run's 8x8 and 16x16 images) and four noisy calibration nets: a
    free least-squares fit then predicts some of the space's nets below zero; the constrained one never."""
    archs = sample_archs(200, seed=3, space="dense")
    for seed in range(50):
        table, compute = synthetic_target(seed, spread=(0.05, 0.06))
        rng = np.random.default_rng(seed)
        noisy = {f: m * rng.uniform(0.3, 1.7, len(m)) for f, m in whole_nets(table, compute, archs[:4]).items()}
        sums, counts = np.array([table.layer_sum(a, "int8") for a in archs]).T
        design = np.stack([sums, counts, np.ones_like(sums)], 1)
        free = np.linalg.lstsq(design[:4], noisy["int8"], rcond=None)[0]
        if (design @ free < 0).any():
            break
    else:
        pytest.fail("no seed made the free fit predict below zero: the test would not see the constraint fail")
    calibrate(table, archs[:4] + archs[4:8], {f: np.concatenate([m, m]) for f, m in noisy.items()}, calibration_nets=4)
    assert min(table.predict(a, fmt) for a in archs for fmt in FORMATS) >= 0
    floor = min(v["int8"] for v in table.layers.values())
    scale, per_layer, constant = least_squares_correction(sums[:4], counts[:4], noisy["int8"], floor)
    assert constant >= 0 and per_layer + scale * floor >= -1e-12
    assert errors(design[:4] @ np.array([scale, per_layer, constant]), noisy["int8"])["mape"] >= 0


def test_a_budget_binds_every_net_the_run_draws_and_refuses_one_over_it_by_name():
    from edgenas.controls import control_spec
    from edgenas.errors import ConfigError

    table, compute = synthetic_target()
    calibrate(table, sample_archs(16, seed=1, space="dense"),
              whole_nets(table, compute, sample_archs(16, seed=1, space="dense")), calibration_nets=8)
    budget = resolve_budget(table, None, 0.3)
    space = [table.predict(a) for a in sample_archs(300, seed=4, space="dense")]
    assert 0.2 < np.mean(np.array(space) > budget.latency_ms) < 0.9  # it excludes most of the space, not all
    for seed in range(1, 6):
        spec = control_spec(f"random{seed}", 10, space="dense", darts_net={}, table=table, budget=budget)
        assert table.predict(spec["arch"]) <= budget.latency_ms
    over = next(a for a in sample_archs(300, seed=4, space="dense") if table.predict(a) > budget.latency_ms)
    with pytest.raises(ConfigError, match=r"the searched net: predicted .* ms INT8 on synthetic, over the budget"):
        budget.admit(table, over, "the searched net")
    budget.admit(table, spec["arch"], "random5")
