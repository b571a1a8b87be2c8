"""The dense search space (airbench94's skeleton), its latency table and its search, at smoke size."""
import json

import numpy as np
import pytest
import torch
from compression import assert_compression_chain
from conftest import recipe

from edgenas.search.latency import LatencyTable, build_table, local_timer, sample_archs
from edgenas.search.spaces import dense

INT8 = dict(format="qdq", per_channel=True, activation_type="uint8", weight_type="int8", calibration_method="minmax", reduce_range=False,
            keep_fp32=["Add", "Concat", "AveragePool", "MaxPool"], pre_process=True)


def test_airbench94s_groups_are_a_point_of_the_space():
    """Widths 64 / 256 / 256 after a 24-channel stem give airbench94's convolutions, group for group."""
    from edgenas.nets import airbench94

    arch = {"stem_width": 24, "s0_width": 64, "s0_depth": 1, "s1_width": 256, "s1_depth": 1, "s2_width": 256,
            "s2_depth": 1}
    shapes = [tuple(m.weight.shape) for m in dense.build_net(arch, num_classes=10).modules()
              if isinstance(m, torch.nn.Conv2d)]
    reference = [tuple(m.weight.shape) for m in airbench94(10).modules() if isinstance(m, torch.nn.Conv2d)]
    assert shapes[1:] == reference[1:]  # all but the stem (3x3 here, airbench94's 2x2 whitening)


def test_every_sampled_net_has_its_layers_in_the_table_at_the_sizes_it_sees():
    rows = set(dense.space_layers(28, 4))
    for arch in sample_archs(20, seed=3, space="dense"):
        layers = dense.Architecture.from_arch(arch).layers(28, 4)
        assert set(layers) <= rows
        net, seen = dense.build_net(arch, num_classes=4), []
        for m in net.modules():
            if isinstance(m, dense.DenseBlock):
                m.register_forward_hook(lambda mod, inputs, out: seen.append(inputs[0].shape[-1]))
        assert net.eval()(torch.randn(1, 3, 28, 28)).shape == (1, 4)
        assert seen == [layer.resolution for layer in layers if layer.kind == "dense"]  # 28 -> 14 -> 7 -> 4
    assert len({tuple(sorted(a.items())) for a in sample_archs(40, seed=4, space="dense")}) > 30
    with pytest.raises(ValueError, match="group 1: width 100"):
        dense.Architecture.from_arch({**sample_archs(1, seed=0, space="dense")[0], "s1_width": 100})


def test_distinct_draws_repeat_no_net_in_a_small_band():
    """The search's pool is drawn without repeats: 20 of the space's nets pass this filter, and 20
    distinct draws are all of them (drawn with repeats, 20 draws of 20 nets nearly always repeat)."""
    def band(a):
        return a["stem_width"] == 16 and a["s2_width"] == 96 and a["s0_depth"] == a["s1_depth"] == a["s2_depth"] == 1

    drawn = sample_archs(20, seed=0, accept=band, space="dense", distinct=True)
    assert len({tuple(sorted(a.items())) for a in drawn}) == 20
    assert len({tuple(sorted(a.items())) for a in sample_archs(20, seed=0, accept=band, space="dense")}) < 20
    with pytest.raises(ValueError, match="fewer distinct nets"):
        sample_archs(21, seed=0, accept=band, space="dense", distinct=True, max_tries=20_000)


def test_a_sampled_net_trains_prunes_exports_and_quantizes(tmp_path):
    """A net with a residual group goes through the compression chain like the mobile space's."""
    torch.manual_seed(0)
    arch = sample_archs(1, seed=5, accept=lambda a: a["s1_depth"] == 2, space="dense")[0]
    assert_compression_chain(dense.build_net(arch, num_classes=4), INT8, tmp_path)


@pytest.fixture(scope="module")
def table() -> LatencyTable:
    """A real latency table of the dense space on this machine at 8x8 pixels (every layer, few runs),
    its correction shifted positive (8x8 layers time alike, so the fit may predict below zero)."""
    t = build_table("local", local_timer(1, 1, 5), threads=1, image_size=8, num_classes=4, quantize=INT8,
                    calibration_nets=4, validation_nets=3, seed=0, space="dense")
    return LatencyTable(**{**t.__dict__, "correction": {f: [c[0], c[1], c[2] + 1.0] for f, c in t.correction.items()}})


def test_the_table_times_the_dense_space_and_is_refused_for_another(table, tmp_path):
    from edgenas.records import DamagedFile
    from edgenas.search.latency import read_latency_table

    assert table.space == "dense"
    assert set(table.layers) == {layer.key for layer in dense.space_layers(8, 4)}
    assert all(ms["fp32"] > 0 and ms["int8"] > 0 for ms in table.layers.values())
    assert all(n["arch"].keys() == sample_archs(1, seed=0, space="dense")[0].keys() for n in table.checks["nets"])
    path = tmp_path / "latency" / "local.json"
    table.write(path)
    assert read_latency_table(path, "dense").layers == table.layers
    with pytest.raises(DamagedFile, match=r"local.json times the dense space, not the mobile space .*--forcerun"):
        read_latency_table(path, "mobile")


def test_halving_search_and_random_controls_stay_in_the_dense_space_and_budget(table, arrays, tmp_path):
    from edgenas.controls import control_spec
    from edgenas.deliverables.figures import funnel
    from edgenas.model import build_model
    from edgenas.search.genotype import read_search_result
    from edgenas.search.halving import search_halving
    from edgenas.search.latency import resolve_budget
    from edgenas.settings import Halving, Split
    from edgenas.words import load_words

    train = arrays["train"]
    train8 = type(train)(train.x[:, ::2, ::2].copy(), train.y, train.classes)  # the table is at 8x8
    budget = resolve_budget(table, float(np.percentile([table.predict(a) for a in sample_archs(200, 1, space="dense")],
                                                       40)), None)
    quick = recipe(epochs=1, batch_size=8)
    result = search_halving(train8, table=table, budget=budget,
                            halving=Halving(fill=0.6, draws=4, prerank="params", candidates=4, images=64, eta=2,
                                            max_images=10_000),
                            recipe=quick, split=Split(seed=0, val_fraction=0.25, train_limit=0), workdir=tmp_path)
    assert result.space == "dense" and result.space_settings == dense.settings(4)
    assert result.nets_per_round == [4, 2]
    assert all(0.6 * budget.latency_ms <= c["predicted_ms"] <= budget.latency_ms for c in result.population)
    result.write(tmp_path / "genotype.json")
    assert read_search_result(tmp_path / "genotype.json").genotype == dense.Architecture.from_arch(result.arch)
    old = json.loads((tmp_path / "genotype.json").read_text())  # a record from before round_epochs and max_images
    del old["search"]["round_epochs"], old["search"]["max_images"]
    (tmp_path / "old.json").write_text(json.dumps(old))
    read_back = read_search_result(tmp_path / "old.json")
    assert read_back.search["round_epochs"] == [1, 1] and read_back.search["max_images"] == max(result.search["rounds"])
    funnel(read_back, tmp_path / "funnel.png", load_words("en"))  # every reader takes the filled keys
    spec = control_spec("random1", 4, space="dense", darts_net={}, table=table, budget=budget)
    assert spec["family"] == "dense" and table.predict(spec["arch"]) <= budget.latency_ms
    assert build_model(spec, seed=0).eval()(torch.randn(1, 3, 8, 8)).shape == (1, 4)


def test_spos_trains_the_dense_supernet_and_evolves_within_the_budget(table, arrays, tmp_path):
    """SPOS (for a GPU) searches whichever hardware-aware space the table times."""
    from edgenas.search.latency import resolve_budget
    from edgenas.search.spos import search_spos
    from edgenas.settings import Spos

    train = arrays["train"]
    train8 = type(train)(train.x[:, ::2, ::2].copy(), train.y, train.classes)  # the table is at 8x8
    budget = float(np.percentile([table.predict(a) for a in sample_archs(200, seed=1, space="dense")], 50))
    spos = Spos(epochs=1, batch_size=16, subset=96, val_images=64, learning_rate=0.05, weight_decay=4e-5, population=4,
                sample_size=2, candidates=6, mutation_prob=0.3, bn_batches=2)
    result = search_spos(train8, table=table, budget=resolve_budget(table, budget, None),
                                   spos=spos, seed=0, workdir=tmp_path)
    assert result.space == "dense" and result.strategy == "spos" and len(result.population) == 6
    assert all(c["predicted_ms"] <= budget for c in result.population)
    dense.build_net(result.arch, num_classes=4)  # the record rebuilds its net


@pytest.mark.parametrize("space", ["mobile", "dense"])
def test_latency_benchmarks_time_the_space_they_are_given(space, tmp_path):
    """benchmarks/latency_noise.py and latency_rounds.py time nets of either hardware-aware space
    (they timed the mobile space alone while the default became dense): each names the space and
    prints its result line."""
    import subprocess
    import sys

    from conftest import REPO

    runs = {"latency_noise.py": ["--nets", "2", "--passes", "2"],
            "latency_rounds.py": ["--nets", "2", "--settings", "1x3"]}
    for script, args in runs.items():
        done = subprocess.run([sys.executable, str(REPO / "benchmarks" / script), "--space", space, *args],
                              cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        assert f"nets of the {space} space" in done.stdout
        last = done.stdout.strip().splitlines()[-1]
        assert last.startswith("median over nets") if script == "latency_noise.py" else last.split()[0] == "1x3"
