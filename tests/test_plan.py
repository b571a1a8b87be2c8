"""What the workflow refuses while it is parsed (edgenas.plan), checked in milliseconds without Snakemake:
one line per problem, naming the key, with a guess at the key meant."""
import copy
import tarfile

import pytest
import yaml
from conftest import REPO

from edgenas.errors import ConfigError
from edgenas.plan import config_problems, cross_field_problems, data_root_problems, refuse

SCHEMA = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())
DEFAULT = yaml.safe_load((REPO / "config/config.yaml").read_text())


def config(**sections):
    out = copy.deepcopy(DEFAULT)
    for key, value in sections.items():
        out[key] = {**out[key], **value} if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def test_the_default_config_fits_its_schema_and_agrees_with_itself():
    assert config_problems(DEFAULT, SCHEMA) == [] and cross_field_problems(DEFAULT) == []


@pytest.mark.parametrize("change,line", [
    ({"prune": {"ratoi": 0.3}}, "prune.ratoi: unknown key; did you mean prune.ratio?"),
    ({"data_rot": "x"}, "data_rot: unknown key; did you mean data_root?"),
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
    problems = cross_field_problems(bad)
    assert any(p.startswith("bench.targets: 'pi9' is not a declared target") for p in problems)
    assert any(p.startswith("controls.models: nas_at_final is budgeted at the final model's latency") for p in problems)
    assert any(p.startswith("report.templates: '/no/such/folder' is not a folder") for p in problems)
    emulated = config(targets={"arm": {"host": "pi.local", "emulate": "cortex-a76"}}, bench={"targets": ["arm"]})
    assert {p.split(":")[0] for p in cross_field_problems(emulated)} == {"targets.arm.host", "bench.targets"}
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
