"""What the workflow refuses while it is parsed, before any job runs.

Snakemake deletes a job's outputs before it reruns the job. A setting that a job would refuse
(a misspelt data_root, a misspelt key, a latency budget the space cannot reach) must therefore
be refused here: then ``snakemake -n`` refuses it too, no job starts, and nothing finished is
lost. Every message is one line per problem, naming the key at fault.
"""
from __future__ import annotations

import difflib
import shutil
import tarfile
import warnings
from pathlib import Path
from typing import Any

from jsonschema.validators import validator_for

from .controls import AT_FINAL
from .errors import ConfigError
from .layout import Layout
from .search.latency import latency_budget, read_latency_table

SPLITS = ("train", "test")


# Keys renamed since earlier configs: the message names the new one (no close spelling would)
RENAMED = {"device": "accelerator"}  # torch's device; "device" is the edge device everywhere else


def _dotted(path) -> str:
    return ".".join(str(p) for p in path) or "(top level)"


def _subschema(schema: dict[str, Any], path) -> dict[str, Any]:
    """The part of ``schema`` that describes the value at ``path``."""
    for key in path:
        if isinstance(key, int):
            schema = schema.get("items", {})
        else:
            props = schema.get("properties", {})
            extra = schema.get("additionalProperties")
            schema = props.get(key, extra if isinstance(extra, dict) else {})
    return schema


def _line(error, schema: dict[str, Any]) -> str:
    """One schema error as one line: the dotted key, what is wrong, what is allowed."""
    where = _dotted(error.absolute_path)
    if error.validator == "additionalProperties":
        allowed = sorted(_subschema(schema, error.absolute_path).get("properties", {}))
        given = error.instance if isinstance(error.instance, dict) else {}
        lines = []
        for key in sorted(set(given) - set(allowed)):
            close = [RENAMED[key]] if key in RENAMED and RENAMED[key] in allowed else \
                difflib.get_close_matches(key, allowed, n=1)
            prefix = f"{where}." if error.absolute_path else ""
            lines.append(f"{prefix}{key}: unknown key" + (f"; did you mean {prefix}{close[0]}?" if close
                                                         else f"; the keys here: {', '.join(allowed)}"))
        return "\n".join(lines)
    if error.validator == "enum":
        return f"{where}: {error.instance!r} is not one of {', '.join(map(str, error.validator_value))}"
    if error.validator == "type":
        return f"{where}: {error.instance!r} is not of type {error.validator_value!r}"
    if error.validator in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        sub = _subschema(schema, error.absolute_path)
        bounds = ", ".join(f"{k} {sub[k]}" for k in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum")
                           if k in sub)
        return f"{where}: {error.instance!r} is out of range ({bounds})"
    if error.validator == "required":
        return f"{where}: {error.message}"
    return f"{where}: {error.message}"


def config_problems(config: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    """Every way ``config`` breaks the JSON ``schema`` (workflow/schemas/config.schema.yaml), one line
    each, with a "did you mean" for a misspelt key: jsonschema's checks, in words that fit one screen."""
    validator = validator_for(schema)(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: [str(p) for p in e.absolute_path])
    return [line for e in errors for line in _line(e, schema).splitlines()]


def check_config(config: dict[str, Any], schema: dict[str, Any], log: str | Path) -> None:
    """Refuse a config the schema does not allow: one line per problem on the screen, jsonschema's
    full report of each in ``log``."""
    problems = config_problems(config, schema)
    if problems:
        Path(log).parent.mkdir(parents=True, exist_ok=True)
        Path(log).write_text("\n\n".join(str(e) for e in validator_for(schema)(schema).iter_errors(config)) + "\n")
        refuse([*problems, f"(the config against workflow/schemas/config.schema.yaml, in full: {log})"])


def budget_problems(table_path: str | Path, latency_ms: float | None) -> list[str]:
    """A fixed latency budget (search.hardware_aware.latency_ms) below what the space reaches on the
    search target, judged on its latency table already on disk, as the budget job would judge it after
    deleting the budget every search and training reads."""
    if latency_ms is None or not Path(table_path).exists():
        return []
    warnings.filterwarnings("ignore", message=".*is found to be not a nn.Module.*")  # NNI's, on torch's newer modules
    try:
        latency_budget(read_latency_table(table_path), latency_ms, None)
    except ConfigError as err:
        return [str(err)]
    return []


def data_root_problems(config: dict[str, Any]) -> list[str]:
    """What is wrong with ``data_root`` that the data stage would find only after deleting the decoded
    data: a path that does not exist, or is neither a folder nor a .tar/.tar.gz archive, or a folder with
    no train/ split. (The archive's members and the images are read by the data stage itself.)"""
    root, data = Path(str(config["data_root"])), config["data"]
    if data["dataset"] == "cifar10":
        if not data["download"] and not (root / "cifar-10-batches-py").is_dir():
            return [f"data_root: {str(root)!r} holds no cifar-10-batches-py folder and data.download is false: "
                    "point data_root at the folder that holds it, or set data.download: true"]
        return []
    if not root.exists():
        near = difflib.get_close_matches(root.name, [p.name for p in root.parent.iterdir()], n=1) \
            if root.parent.is_dir() else []
        hint = f"; did you mean {str(root.parent / near[0])!r}?" if near else ""
        return [f"data_root: {str(root)!r} does not exist{hint}"]
    if root.is_dir():
        if not any((root / split).is_dir() or any(root.glob(f"*/{split}")) for split in SPLITS):
            return [f"data_root: {str(root)!r} has no train/<class>/ or test/<class>/ folder (nor one folder "
                    "below it), as data.dataset: imagefolder needs"]
        return []
    if not tarfile.is_tarfile(root):
        return [f"data_root: {str(root)!r} is neither a folder nor a .tar/.tar.gz archive"]
    return []


LOOPBACK = ("127.0.0.1", "localhost", "::1")
DECLARE = "a device is declared by a file config/targets/<name>.yaml: copy config/targets/pi5.yaml"


def cross_field_problems(config: dict[str, Any], run: Layout) -> list[str]:
    """What no schema can say: keys that must agree with each other (targets, emulated targets, the
    search target, the controls a space can have, the report's own templates), on the run's layout."""
    problems = []
    declared = ", ".join(run.targets)
    for name in config["bench"]["targets"]:
        if name not in run.targets:
            problems.append(f"bench.targets: {name!r} is not a declared target; the declared ones are {declared} "
                            f"({DECLARE})")
    for name in sorted(run.emulated):
        host = config["targets"][name]["host"]
        if host not in LOOPBACK:
            problems.append(f"targets.{name}.host: an emulated target runs on this machine (its emulated Python is "
                            f"built here); set host: 127.0.0.1, not {host!r}")
    if config["bench"]["targets"] and not run.real_bench_targets:
        problems.append(f"bench.targets: {config['bench']['targets']} are all emulated; the report needs one real "
                        "target (local) to set their accuracy beside")
    target = run.search_target
    if target is not None and target not in run.targets:
        problems.append(f"search.hardware_aware.target: {target!r} is not a declared target; the declared ones are "
                        f"{declared} ({DECLARE})")
    if target in run.emulated:
        problems.append(f"search.hardware_aware.target: {target!r} is emulated, and emulated latency means nothing; "
                        "budget the search on a real target")
    for name in sorted(set(config["controls"]["models"]) & set(AT_FINAL)):
        if not run.hardware_aware:
            problems.append(f"controls.models: {name} is budgeted at the final model's latency, which only a "
                            f"hardware-aware space (search.space: dense or mobile) has; not {run.space}")
    folder = config["report"].get("templates")
    if folder and not Path(folder).is_dir():
        problems.append(f"report.templates: {folder!r} is not a folder (copy report/templates/ there and edit it)")
    return problems


def program_problems() -> list[str]:
    """Programs a real run needs that are not on PATH: graphviz's dot, which draws the report's cell
    diagrams at the end (a dry run needs none)."""
    if shutil.which("dot") is None:
        return ["graphviz's 'dot' is not on PATH; the report draws the searched cells with it. Install it: "
                "sudo apt-get install graphviz (Debian/Ubuntu), brew install graphviz (macOS) or "
                "conda install -c conda-forge graphviz"]
    return []


def refuse(problems: list[str]) -> None:
    """One ``ConfigError`` listing every problem, one line each."""
    if problems:
        raise ConfigError("refused before any job runs (nothing finished is touched):\n"
                          + "\n".join(f"  {p}" for p in problems))
