"""The mobile search space, its latency table and the hardware-aware search, at smoke size."""
import numpy as np
import pytest
import torch
from compression import assert_compression_chain
from conftest import recipe

from edgenas.search.latency import LatencyTable, build_table, local_timer, sample_archs
from edgenas.search.spaces import mobile

INT8 = dict(format="qdq", per_channel=False, activation_type="uint8", weight_type="int8", calibration_method="minmax", reduce_range=False,
            keep_fp32=["Add", "Concat", "AveragePool", "MaxPool"], pre_process=True)


def test_mobilenetv2_is_a_point_of_the_space():
    from edgenas.nets import mobilenetv2_cifar

    net = mobile.build_net(mobile.MOBILENETV2, num_classes=10)
    reference = mobilenetv2_cifar(10)
    assert sum(p.numel() for p in net.parameters()) == sum(p.numel() for p in reference.parameters())
    shapes = sorted(tuple(m.weight.shape) for m in net.modules() if isinstance(m, torch.nn.Conv2d))
    assert shapes == sorted(tuple(m.weight.shape) for m in reference.modules() if isinstance(m, torch.nn.Conv2d))


def test_expanded_channels_are_multiples_of_16_and_layers_are_in_the_table():
    layers = set(mobile.space_layers(16, 4))
    for arch in sample_archs(20, seed=3):
        net = mobile.build_net(arch, num_classes=4)
        depthwise = [m for m in net.modules() if isinstance(m, torch.nn.Conv2d) and m.groups > 1]
        assert all(m.out_channels % 16 == 0 for m in depthwise)
        assert set(mobile.Architecture.from_arch(arch).layers(16, 4)) <= layers


def blocks_of(arch) -> list:
    return [b for _, blocks in mobile.Architecture.from_arch(arch).stages for b in blocks]


def test_every_block_sees_the_resolution_its_table_row_was_timed_at():
    """The net's blocks take inputs of the sizes ``Architecture.layers`` (and so the latency table)
    says, dense blocks' max-pools included, on an odd size too (28 -> 14 -> 7 -> 4)."""
    arch = sample_archs(1, seed=2, accept=lambda a: sum(b.type == "dense" for b in blocks_of(a)) >= 4)[0]
    net = mobile.build_net(arch, num_classes=4)
    seen = []
    for m in net.modules():
        if type(m) in mobile.BLOCKS.values():
            m.register_forward_hook(lambda mod, inputs, out: seen.append((type(mod), inputs[0].shape[-1])))
    net.eval()(torch.randn(1, 3, 28, 28))
    layers = [layer for layer in mobile.Architecture.from_arch(arch).layers(28, 4) if layer.kind in mobile.BLOCKS]
    assert seen == [(mobile.BLOCKS[layer.kind], layer.resolution) for layer in layers]


@pytest.mark.parametrize("block", ["fused", "dense"])
def test_a_sampled_net_trains_prunes_exports_and_quantizes(block, tmp_path):
    """Each block type goes through the compression chain: torch-pruning's dependency graph (residual
    adds, dense blocks' max-pools), ONNX export and the INT8 quantizer."""
    torch.manual_seed(0)
    arch = sample_archs(1, seed=5, accept=lambda a: sum(b.type == block for b in blocks_of(a)) >= 2)[0]
    assert_compression_chain(mobile.build_net(arch, num_classes=4), INT8, tmp_path)


@pytest.fixture(scope="module")
def table() -> LatencyTable:
    """A real latency table of this machine at 8x8 pixels (every layer, few runs)."""
    return build_table("local", local_timer(1, 1, 5), threads=1, image_size=8, num_classes=4, quantize=INT8,
                       calibration_nets=4, validation_nets=3, seed=0)


def test_latency_table_covers_the_space_and_checks_itself(table):
    assert set(table.layers) == {layer.key for layer in mobile.space_layers(8, 4)}
    assert all(ms["fp32"] > 0 and ms["int8"] > 0 for ms in table.layers.values())
    nets = table.checks["nets"]
    assert [n["use"] for n in nets] == ["calibration"] * 4 + ["validation"] * 3
    for fmt in ("fp32", "int8"):
        assert -1 <= table.checks[fmt]["corrected"]["spearman"] <= 1 and table.checks[fmt]["corrected"]["mape"] >= 0
        # the prediction of each net is the table's own, from its layers and correction
        for n in nets:
            assert table.predict(n["arch"], fmt) == pytest.approx(n[fmt]["predicted"])


def test_a_table_timed_for_an_older_space_is_refused_with_its_rebuild(table, tmp_path):
    from edgenas.records import DamagedFile
    from edgenas.search.latency import read_latency_table

    path = tmp_path / "latency" / "local.json"
    table.write(path)
    assert read_latency_table(path).layers == table.layers
    older = dict(table.layers)
    del older[next(key for key in older if key.startswith("dense:"))]
    LatencyTable(**{**table.__dict__, "layers": older}).write(path)
    with pytest.raises(DamagedFile, match=r"local.json was timed for an older version of the search space: 1 of .*"
                                          r"e.g. dense:.*snakemake .*local.json --forcerun"):
        read_latency_table(path)


def test_hardware_aware_search_stays_within_the_budget(table, arrays, tmp_path):
    from edgenas.search.latency import resolve_budget
    from edgenas.search.spos import search_spos
    from edgenas.settings import Spos

    train = arrays["train"]
    train8 = type(train)(train.x[:, ::2, ::2].copy(), train.y, train.classes)  # the table is at 8x8
    budget = float(np.percentile([table.predict(a) for a in sample_archs(200, seed=1)], 30))
    spos = Spos(epochs=1, batch_size=16, subset=96, val_images=64, learning_rate=0.05, weight_decay=4e-5, population=4,
                sample_size=2, candidates=6, mutation_prob=0.3, bn_batches=2)
    result = search_spos(train8, table=table, budget=resolve_budget(table, budget, None),
                                   spos=spos, seed=0, workdir=tmp_path)
    assert result.space == "mobile" and len(result.population) == 6
    assert result.strategy == "spos" and result.nets_per_round == []  # no halving rounds
    assert all(c["predicted_ms"] <= budget for c in result.population)
    assert result.search["predicted_ms"] == pytest.approx(table.predict(result.arch))
    assert result.search["predicted_ms"] <= budget
    assert result.metrics["val_accuracy"] == max(c["accuracy"] for c in result.population)
    mobile.build_net(result.arch, num_classes=4)  # the record rebuilds its net
    assert result.search["latency_ms"] == budget and result.search["latency_quantile"] is None
    assert result.search["population"] == 4 and result.search["mutation_prob"] == 0.3  # the settings, recorded
    other = type(table)(**{**table.__dict__, "threads": table.threads + 1})
    with pytest.raises(ValueError, match="rebuild results/search/budget.json"):  # a budget resolved on another table
        search_spos(train8, table=other, budget=resolve_budget(table, budget, None),
                              spos=spos, seed=0, workdir=tmp_path / "other")


def halving_setting(table, arrays):
    """The halving tests' data (at the table's 8x8), table, budget (ms) and recipe."""

    train = arrays["train"]
    train8 = type(train)(train.x[:, ::2, ::2].copy(), train.y, train.classes)  # the table is at 8x8
    # 8x8 layers time alike, so the fitted correction may predict below zero: shift it to positive
    table = type(table)(**{**table.__dict__, "correction": {f: [c[0], c[1], c[2] + 1.0]
                                                            for f, c in table.correction.items()}})
    budget = float(np.percentile([table.predict(a) for a in sample_archs(200, seed=1)], 30))
    quick = recipe(epochs=3, batch_size=8)
    return train8, table, budget, quick


def test_halving_search_races_candidates_that_fill_the_budget(table, arrays, tmp_path, monkeypatch):
    from edgenas.search import halving as search
    from edgenas.deliverables.figures import population
    from edgenas.search.halving import search_halving
    from edgenas.search.proxies import SCORES
    from edgenas.settings import Halving, Split
    from edgenas.words import load_words

    train8, table, budget, recipe = halving_setting(table, arrays)
    halving = Halving(fill=0.7, draws=6, prerank="params", candidates=4, images=64, eta=2, max_images=10_000)
    from edgenas.search.latency import resolve_budget

    settings = dict(table=table, budget=resolve_budget(table, budget, None), halving=halving, recipe=recipe,
                    split=Split(seed=0, val_fraction=0.25, train_limit=0), workdir=tmp_path)
    trained, scored = [], []
    real = search.short_training_accuracy

    def spy(*a, **k):
        trained.append(k["images"])
        scored.append(a[3])
        return real(*a, **k)

    monkeypatch.setattr(search, "short_training_accuracy", spy)
    result = search_halving(train8, **settings)

    assert trained == [64] * 4 + [128] * 2  # 4 candidates, then the best 2 on twice the images
    assert result.nets_per_round == [4, 2]  # the funnel the report, paper and figure state
    train_idx, val_idx = settings["split"].indices(len(train8.y))
    used = search.round_order(train_idx, 0)[:128]  # the longest round's images hold the shorter round's
    # every round is scored on the same held-out images: validation and every training image no round trains on
    assert all(np.array_equal(s, scored[0]) for s in scored)
    assert set(scored[0]) == set(val_idx) | (set(train_idx) - set(used)) and not set(scored[0]) & set(used)
    assert result.search["val_images"] == len(scored[0]) == len(train8.y) - 128
    drawn = result.population
    assert len(drawn) == 6 and all(0.7 * budget <= c["predicted_ms"] <= budget for c in drawn)
    raced = [c for c in drawn if c["rounds"]]
    assert sorted(c["prerank"] for c in raced) == [1, 2, 3, 4]
    assert {c["scores"]["params"] for c in raced} == set(sorted((c["scores"]["params"] for c in drawn), reverse=True)[:4])
    assert all(set(c["scores"]) == set(SCORES) for c in raced)  # the candidates carry every cheap score
    finalists = [c for c in raced if len(c["rounds"]) == 2]
    best = max(c["rounds"][-1]["accuracy"] for c in finalists)  # ties are likely on 80 images
    assert result.metrics["val_accuracy"] == best
    assert result.arch in [c["arch"] for c in finalists if c["rounds"][-1]["accuracy"] == best]
    losers = [c for c in raced if len(c["rounds"]) == 1]
    assert max(c["rounds"][0]["accuracy"] for c in losers) <= min(c["rounds"][0]["accuracy"] for c in finalists)
    assert result.search["predicted_ms"] == pytest.approx(table.predict(result.arch))
    assert result.search["stability"][0]["rounds"] == [1, 2] and result.search["stability"][0]["candidates"] == 2
    population(result, tmp_path / "funnel.png", load_words("en"))
    assert (tmp_path / "funnel.png").stat().st_size > 10_000
    mobile.build_net(result.arch, num_classes=4)

    trained.clear()  # a rerun with the same settings (after a crash) trains nothing again
    assert search_halving(train8, **settings).arch == result.arch and trained == []


def test_halving_rounds_turn_images_past_max_images_into_epochs():
    from edgenas.image_counts import fidelity_rounds

    assert fidelity_rounds(12000, 2, 8, 45000, 24000) == [(12000, 1), (24000, 1), (24000, 2)]  # the default
    assert fidelity_rounds(12000, 2, 6, 45000, 24000) == [(12000, 1), (24000, 1)]
    assert fidelity_rounds(128, 2, 4, 100, 24000) == [(100, 1), (100, 1)]  # small data: all it has, once


def test_halving_rounds_past_max_images_train_more_epochs_on_the_same_images(table, arrays, tmp_path, monkeypatch):
    """prerank none races the first draws in the sampler's order; a round whose images seen pass
    max_images trains more epochs over the first max_images, so the rest stay held out."""
    from edgenas.search import halving as search
    from edgenas.deliverables.figures import population
    from edgenas.search.halving import search_halving
    from edgenas.search.latency import resolve_budget
    from edgenas.settings import Halving, Split
    from edgenas.words import load_words

    train8, table, budget, recipe = halving_setting(table, arrays)
    halving = Halving(fill=0.7, draws=6, prerank="none", candidates=4, images=64, eta=2, max_images=64)
    trained, scored = [], []
    real = search.short_training_accuracy

    def spy(*a, **k):
        trained.append((k["images"], k["epochs"]))
        scored.append(a[3])
        return real(*a, **k)

    monkeypatch.setattr(search, "short_training_accuracy", spy)
    split = Split(seed=0, val_fraction=0.25, train_limit=0)
    result = search_halving(train8, table=table, budget=resolve_budget(table, budget, None),
                            halving=halving, recipe=recipe, split=split, workdir=tmp_path)

    assert trained == [(64, 1)] * 4 + [(64, 2)] * 2  # the second round's 128 images seen: 2 epochs of the same 64
    assert result.search["rounds"] == [64, 64] and result.search["round_epochs"] == [1, 2]
    train_idx, val_idx = split.indices(len(train8.y))
    used = search.round_order(train_idx, 0)[:64]
    assert set(scored[0]) == set(val_idx) | (set(train_idx) - set(used)) and not set(scored[0]) & set(used)
    assert all(np.array_equal(s, scored[0]) for s in scored)
    drawn = result.population
    assert [c.get("prerank") for c in drawn] == [1, 2, 3, 4, None, None]  # the sampler's order, no score asked
    assert drawn[4]["scores"] == {} and all(c["rounds"][-1]["epochs"] in (1, 2) for c in drawn[:4])
    population(result, tmp_path / "funnel.png", load_words("en"))
    assert (tmp_path / "funnel.png").stat().st_size > 10_000


def test_random_controls_of_the_mobile_space_respect_the_budget(table, tmp_path):
    from edgenas.controls import control_spec
    from edgenas.search.latency import read_budget, resolve_budget

    budget = float(np.percentile([table.predict(a) for a in sample_archs(200, seed=1)], 30))
    resolve_budget(table, budget, None).write(tmp_path / "budget.json")
    record = read_budget(tmp_path / "budget.json")  # the one record the search and every control read
    assert record.latency_ms == budget and record.target == table.target and record.threads == table.threads
    specs = [control_spec(f"random{s}", 4, space="mobile", darts_net={}, table=table, budget=record) for s in (1, 2)]
    assert all(spec["family"] == "mobile" and table.predict(spec["arch"]) <= budget for spec in specs)
    assert specs[0]["arch"] != specs[1]["arch"]
    assert control_spec("random1", 4, space="mobile", darts_net={}, table=table, budget=record) == specs[0]  # by seed


def test_a_quantile_budget_leaves_that_share_of_the_space_on_any_target(table):
    """The share is a property of the predictions' spread, so the table's layers are read as they were
    timed (no correction): a correction fitted on 4 nets of 8x8 pixels on a busy machine can come out flat."""
    import dataclasses

    from edgenas.controls import control_spec
    from edgenas.errors import ConfigError
    from edgenas.search.latency import BUDGET_DRAWS, latency_budget, resolve_budget

    table = dataclasses.replace(table, correction={fmt: [1.0, 0.0, 0.0] for fmt in table.correction})
    spread = np.array([table.predict(a) for a in sample_archs(BUDGET_DRAWS, seed=0)])
    budget = latency_budget(table, None, 0.2)
    assert (spread <= budget).mean() == pytest.approx(0.2, abs=0.01)
    slower = type(table)(**{**table.__dict__, "correction": {f: [3 * c[0], 3 * c[1], 3 * c[2]]
                                                             for f, c in table.correction.items()}})
    assert latency_budget(slower, None, 0.2) == pytest.approx(3 * budget)  # a 3x slower target, the same share
    assert latency_budget(table, 2 * spread.max(), 0.2) == 2 * spread.max()  # a fixed budget wins
    with pytest.raises(ConfigError, match=r"search.hardware_aware.latency_ms: .* 5 / 10 / 50 %"):
        latency_budget(table, spread.min() - 1, 0.2)
    with pytest.raises(ConfigError, match="search.hardware_aware.latency_quantile"):
        latency_budget(table, None, None)
    record = resolve_budget(table, None, 0.2)
    assert record.latency_ms == budget and record.quantile == 0.2
    spec = control_spec("random1", 4, space="mobile", darts_net={}, table=table, budget=record)
    assert table.predict(spec["arch"]) <= budget


def test_a_constant_prediction_ranks_no_net():
    from edgenas.search.latency import errors

    flat = errors(np.array([0.2, 0.2, 0.2]), np.array([0.1, 0.2, 0.4]))
    assert flat["spearman"] == 0.0 and flat["mape"] == pytest.approx((1 + 0 + 0.5) / 3)
    assert errors(np.array([0.1, 0.3, 0.2]), np.array([0.1, 0.4, 0.2]))["spearman"] == pytest.approx(1.0)
