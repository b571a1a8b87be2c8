"""Nested --config values typed by the schema (Snakemake hands them over as strings)."""
from pathlib import Path

import yaml
from conftest import REPO
from snakemake.utils import validate

from edgenas.cliconfig import typed_like_schema

SCHEMA_FILE = Path(REPO, "workflow", "schemas", "config.schema.yaml")
SCHEMA = yaml.safe_load(SCHEMA_FILE.read_text())


def default_config() -> dict:
    return yaml.safe_load(Path(REPO, "config", "config.yaml").read_text())


def test_strings_become_the_types_the_schema_asks_for():
    config = default_config()
    # what Snakemake's BaseLoader makes of "prune={ratio: 0.3}" "data={download: false}" ...
    config["prune"]["ratio"] = "0.3"
    config["data"]["download"] = "false"
    config["controls"]["random_seeds"] = ["1", "2"]
    config["bench"]["threads"] = ["1", "0"]
    config["data_root"] = "123"  # a string key stays a string
    typed = typed_like_schema(config, SCHEMA)
    assert typed["prune"]["ratio"] == 0.3 and typed["data"]["download"] is False
    assert typed["controls"]["random_seeds"] == [1, 2] and typed["bench"]["threads"] == [1, 0]
    assert typed["data_root"] == "123" and typed["quantize"]["format"] == "qdq"
    validate(typed, str(SCHEMA_FILE))


def test_ill_typed_strings_are_left_for_validation_to_reject():
    config = default_config()
    config["train"]["epochs"] = "many"
    assert typed_like_schema(config, SCHEMA)["train"]["epochs"] == "many"
