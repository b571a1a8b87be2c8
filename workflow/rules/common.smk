import shutil
from pathlib import Path

import yaml

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from edgenas.cliconfig import typed_like_schema
from edgenas.controls import control_names


# --config's nested values arrive as strings ("prune={ratio: 0.3}" -> "0.3"): type them first
_SCHEMA = Path(workflow.basedir, "workflow", "schemas", "config.schema.yaml")
config.update(typed_like_schema(config, yaml.safe_load(_SCHEMA.read_text())))
validate(config, schema=str(_SCHEMA))

if shutil.which("dot") is None:  # fail now, not after hours of training at the report's cell diagrams
    raise WorkflowError("graphviz's 'dot' is not on PATH; the report draws the searched cells with it. "
                        "Install it: sudo apt-get install graphviz (Debian/Ubuntu), brew install graphviz (macOS) "
                        "or conda install -c conda-forge graphviz.")

TARGETS = ["local", *config["targets"]]
for _name in config["bench"]["targets"]:
    if _name not in TARGETS:
        raise ValueError(f"bench.targets: {_name!r} is neither 'local' nor declared under targets: {list(config['targets'])}")

# Stage name -> the ONNX file benchmarked for it.
STAGE_MODELS = {
    "baseline": "baseline.onnx",
    "pruned": "pruned.onnx",
    "finetuned": "fp32.onnx",
    "int8": "int8.onnx",
}
# Stages also timed in PyTorch eager mode, to show what deployment through ONNX Runtime buys.
EAGER_STAGES = ["baseline", "finetuned"]
# Reference models trained with the same recipe (workflow/rules/controls.smk), by name.
CONTROLS = control_names(config["controls"]["models"], config["controls"]["random_seeds"])
# Benchmarked control name -> its ONNX file.
CONTROL_MODELS = {c: f"control_{c}.onnx" for c in CONTROLS}
# ONNX export name -> the checkpoint it is exported from.
EXPORTS = {"baseline": "baseline.pt", "pruned": "pruned.pt", "fp32": "finetuned.pt",
           **{f"control_{c}": f"control_{c}.pt" for c in CONTROLS}}
CHECKPOINTS = ["baseline.pt", "pruned.pt", "finetuned.pt", *(f"control_{c}.pt" for c in CONTROLS)]
# search, training and fine-tuning ask for a GPU unless the config pins them to the CPU
GPU = 0 if config["device"] == "cpu" else 1
# device and precision, resolved on the machine that runs the job (edgenas.accel.resolve)
HARDWARE = {"device": config["device"], "precision": str(config["precision"])}

DATA = {
    "train": "resources/data/train.npz",
    "test": "resources/data/test.npz",
    "stats": "resources/data/stats.json",
}


def split_params():
    """What defines the train/val split and the test subset: passed to every rule that reads them."""
    d = config["data"]
    return {
        "seed": config["seed"],
        "val_fraction": d["val_fraction"],
        "train_limit": d["train_limit"],
        "test_limit": d["test_limit"],
    }
