"""What the workflow refuses while it is parsed (edgenas.plan), checked in milliseconds without Snakemake:
one line per problem, naming the key, with a guess at the key meant."""
import copy
import tarfile

import pytest
import yaml
from conftest import REPO

from edgenas.errors import ConfigError
from edgenas.layout import Layout
from edgenas.plan import config_problems, cross_field_problems, data_root_problems, refuse

SCHEMA = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())
DEFAULT = yaml.safe_load((REPO / "config/config.yaml").read_text())


def config(**sections):
    out = copy.deepcopy(DEFAULT)
    for key, value in sections.items():
        out[key] = {**out[key], **value} if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def test_the_default_config_fits_its_schema_and_agrees_with_itself():
    assert config_problems(DEFAULT, SCHEMA) == [] and cross_field_problems(DEFAULT, Layout.from_config(DEFAULT)) == []


@pytest.mark.parametrize("change,line", [
    ({"prune": {"ratoi": 0.3}}, "prune.ratoi: unknown key; did you mean prune.ratio?"),
    ({"data_rot": "x"}, "data_rot: unknown key; did you mean data_root?"),
    ({"device": "cpu"}, "device: unknown key; did you mean accelerator?"),
    ({"train": {"epochs": "many"}}, "train.epochs: 'many' is not of type 'integer'"),
    ({"quantize": {"format": "qdqq"}}, "quantize.format: 'qdqq' is not one of qdq, qoperator"),
    ({"prune": {"ratio": 1.5}}, "prune.ratio: 1.5 is out of range"),
])
def test_a_schema_problem_reads_as_one_line_naming_its_key(change, line):
    problems = config_problems(config(**change), SCHEMA)
    assert len(problems) == 1 and problems[0].startswith(line), problems


def test_keys_that_must_agree_are_refused_together():
    bad = config(bench={"targets": ["local", "pi9"]}, search={"space": "darts"},
                 controls={"models": ["nas_at_final"], "random_seeds": [1]}, report={"templates": "/no/such/folder"})
    problems = cross_field_problems(bad, Layout.from_config(bad))
    assert any(p.startswith("bench.targets: 'pi9' is not a declared target") for p in problems)
    assert any(p.startswith("controls.models: nas_at_final is budgeted at the final model's latency") for p in problems)
    assert any(p.startswith("report.templates: '/no/such/folder' is not a folder") for p in problems)
    emulated = config(targets={"arm": {"host": "pi.local", "emulate": "cortex-a76"}}, bench={"targets": ["arm"]})
    assert {p.split(":")[0] for p in cross_field_problems(emulated, Layout.from_config(emulated))} == {"targets.arm.host", "bench.targets"}
    with pytest.raises(ConfigError, match="refused before any job runs"):
        refuse(problems)


def test_a_data_root_the_data_stage_cannot_read(tmp_path):
    (tmp_path / "cifar" / "train" / "cat").mkdir(parents=True)
    with tarfile.open(tmp_path / "data.tar.gz", "w:gz") as tar:
        tar.add(tmp_path / "cifar", arcname="cifar")
    (tmp_path / "notes.txt").write_text("not data")
    imagefolder = {"dataset": "imagefolder"}
    assert data_root_problems(config(data_root=str(tmp_path / "cifar"), data=imagefolder)) == []
    assert data_root_problems(config(data_root=str(tmp_path / "data.tar.gz"), data=imagefolder)) == []
    assert data_root_problems(config(data_root=str(tmp_path / "cifra"), data=imagefolder)) == [
        f"data_root: {str(tmp_path / 'cifra')!r} does not exist; did you mean {str(tmp_path / 'cifar')!r}?"]
    assert "neither a folder nor" in data_root_problems(config(data_root=str(tmp_path / "notes.txt"), data=imagefolder))[0]
    assert "no train/<class>/" in data_root_problems(config(data_root=str(tmp_path / "cifar" / "train"), data=imagefolder))[0]
    # CIFAR-10 that torchvision may download is not judged; without download its folder must be there
    assert data_root_problems(config(data_root=str(tmp_path / "none"))) == []
    assert "cifar-10-batches-py" in data_root_problems(config(data_root=str(tmp_path / "none"),
                                                              data={"download": False}))[0]


def test_the_layout_plans_the_at_final_lane_from_the_config_alone():
    run = Layout.from_config(DEFAULT)
    assert run.controls == ["random1", "nas_at_final", "pruned_scratch"]
    assert run.at_final_space == "dense@0.25/16" and run.lane_budget == run.planned_budget == "results/search/budget_at_final.json"
    assert run.at_final_table == "results/latency/local_at_final.json" and run.pruned_shape
    # a shape that depends on the weights: the lane waits for the final model, in the main space
    weights = Layout.from_config(config(prune={"global_pruning": True}))
    assert weights.planned_budget is None and weights.pruned_shape is None
    assert weights.lane_budget == weights.final_budget and weights.at_final_table == weights.search_table
    darts = Layout.from_config(config(search={"space": "darts"}, controls={"models": ["random"], "random_seeds": [1, 2]}))
    assert (darts.search_table, darts.budget, darts.final_budget, darts.hardware_aware) == (None, None, None, False)
    assert darts.controls == ["random1", "random2"]
    pi = config(targets={"pi5": {"host": "pi.local"}, "arm": {"host": "127.0.0.1", "emulate": "cortex-a76"}},
                bench={"targets": ["local", "pi5", "arm"]})
    run = Layout.from_config(pi)
    assert run.remote_targets == ["arm", "pi5"] and run.real_bench_targets == ["local", "pi5"]
    assert run.emulated == {"arm": "cortex-a76"}


def test_trainings_the_decoded_data_cannot_hold_are_refused_while_parsing(tmp_path):
    import json

    from edgenas.image_counts import check_decoded

    stats = tmp_path / "stats.json"
    check_decoded(DEFAULT, stats)  # nothing decoded yet: rule check_fit judges after the data stage
    decoded = {"source": {"dataset": "imagefolder", "root": "/data/tiny"}, "image_size": 32, "images": {"train": 40}}
    stats.write_text(json.dumps(decoded))
    tiny = config(data_root="/data/tiny", data={"dataset": "imagefolder"})
    with pytest.raises(ConfigError, match="too few for these settings"):
        check_decoded(tiny, stats)
    check_decoded(config(data_root="/data/other", data={"dataset": "imagefolder"}), stats)  # not this data


def test_a_fixed_budget_below_the_table_on_disk_is_refused_while_parsing(tmp_path):
    from test_latency import synthetic_target

    from edgenas.plan import budget_problems

    table, _ = synthetic_target()
    table.write(tmp_path / "local.json")
    assert budget_problems(tmp_path / "local.json", None) == [] and budget_problems(tmp_path / "none.json", 0.001) == []
    problems = budget_problems(tmp_path / "local.json", 0.001)
    assert len(problems) == 1 and "latency_ms" in problems[0], problems
    assert budget_problems(tmp_path / "local.json", 1000.0) == []


def test_each_job_reads_its_own_slice_of_the_config():
    from edgenas import settings

    assert settings.search_settings(DEFAULT)["space"] == "dense" and "spos" not in settings.search_settings(DEFAULT)
    section = settings.search_section(DEFAULT)
    assert set(section) == {"space", "hardware_aware"} and "spos" not in section["hardware_aware"]
    assert "epochs" not in settings.search_recipe(DEFAULT) and settings.search_split(DEFAULT)["seed"] == DEFAULT["seed"]
    spos = config(search={"hardware_aware": {**DEFAULT["search"]["hardware_aware"], "strategy": "spos"}})
    assert settings.search_recipe(spos) == {} == settings.search_split(spos)
    assert settings.darts_net(DEFAULT) == {} and settings.darts_net(config(search={"space": "darts"}))["width"] == 16
    assert "calibration_method" not in settings.latency_settings(DEFAULT, "dense")["quantize"]
    remote = settings.bench_settings(DEFAULT, {"host": "pi.local", "runs": 50}, {"host": "pi.local"})
    assert remote["runs"] == 50 and "threads" not in remote and settings.bench_settings(DEFAULT)["threads"] == [1, 0]
    assert not {"demo", "targets", "report"} & set(settings.report_settings(DEFAULT))


def test_a_missing_program_is_named_with_how_to_install_it(monkeypatch):
    import shutil

    from edgenas.plan import program_problems

    assert program_problems() == []  # graphviz is installed here (the README's apt line)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    problems = program_problems()
    assert len(problems) == 1 and "graphviz's 'dot' is not on PATH" in problems[0] and "apt-get install graphviz" in problems[0]
