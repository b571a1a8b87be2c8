import sys
from dataclasses import asdict
from pathlib import Path

import yaml

from snakemake.exceptions import WorkflowError

from edgenas import image_counts, plan, registry
from edgenas.cliconfig import typed_like_schema
from edgenas.controls import at_final
from edgenas.layout import DATA, FIT, Layout, deployed_models, emulator_python
from edgenas.remote import target_files
from edgenas.settings import (Demo, Prune, Quantize, Recipe, Split, TestSubset, bench_settings as bench_slice, darts_net,
                              final_budget_settings as final_budget_slice, latency_settings as latency_slice,
                              pruned_shape_settings, report_settings, search_recipe, search_settings, search_split)
from edgenas.words import words_file


# --cores as given (every core for --cores all); 1 where no job runs and none is given (--report)
try:
    CORES = workflow.cores
except WorkflowError:
    CORES = 1
# snakemake --report on a folder without a finished run says so in one line (Snakefile)
REPORT_MODE = any(a == "--report" or a.startswith("--report=") for a in sys.argv[1:])

# A device declared by its own file, config/targets/<name>.yaml, is read whatever --configfile is given;
# a targets: entry of a config file wins over the file of that name.
for _name, _settings in target_files(Path(workflow.basedir, "config", "targets")).items():
    config.setdefault("targets", {}).setdefault(_name, _settings)

# Refused before any job runs, one line per problem (edgenas.plan): --config's nested values arrive as
# strings, so they are typed first; then the schema, data_root, the keys that must agree, a fixed budget
# against a latency table on disk, and the trainings against data already decoded.
_SCHEMA_DOC = yaml.safe_load(Path(workflow.basedir, "workflow", "schemas", "config.schema.yaml").read_text())
config.update(typed_like_schema(config, _SCHEMA_DOC))
plan.check_config(config, _SCHEMA_DOC, log="logs/config.log")
if not REPORT_MODE:  # a report of a finished run elsewhere reads no data
    plan.refuse(plan.data_root_problems(config))
RUN = Layout.from_config(config)  # targets, spaces, budgets, controls and their files (edgenas.layout)
plan.refuse(plan.cross_field_problems(config, RUN))
if RUN.search_table:
    plan.refuse(plan.budget_problems(RUN.search_table, config["search"]["hardware_aware"]["latency_ms"]))
image_counts.check_decoded(config, DATA["stats"])

# The report's templates: the student's edited copy (report.templates) first, then the workflow's own.
# Their files are the report's inputs, so an edit rebuilds the PDFs.
REPORT_TEMPLATES = [str(Path(workflow.basedir, "report", "templates"))]
if config["report"].get("templates"):
    REPORT_TEMPLATES.insert(0, str(config["report"]["templates"]))
WORDS_OF = {lang: str(words_file(lang, REPORT_TEMPLATES)) for lang in RUN.languages}  # each language's words
WORDS = WORDS_OF[RUN.languages[0]]
REPORT_TEMPLATE_FILES = sorted(str(f) for folder in REPORT_TEMPLATES for f in Path(folder).iterdir() if f.is_file())

# Every deployed ONNX file, and what it is quantized or exported from (edgenas.registry)
DEPLOYED = registry.deployed_files(RUN.controls)
QUANTIZED = registry.quantized_from(RUN.controls)
EXPORTS = {name: m["checkpoint"] for name, m in DEPLOYED.items() if name not in QUANTIZED}

# Scheduling (docs/decisions.md): trainings run two side by side when controls train, each on half the
# cores. The scheduler starts the jobs of highest summed priority: the searched net's chain first; then
# the controls' trainings, two of which weigh less than one job of the chain; the at-final lane's
# planning, which takes every core for seconds, outweighs any two trainings.
TRAIN_THREADS = max(1, CORES // 2) if RUN.controls else CORES
CRITICAL_PATH = 10
LONG_JOBS = 4
PLANNING = 3 * CRITICAL_PATH

# What a job reads of the data and the recipes (edgenas.settings): the training and validation images, the
# test images every accuracy is measured on, the training recipe of every net and fine-tuning's
TRAIN_SPLIT = asdict(Split.from_config(config))
TEST_SUBSET = asdict(TestSubset.from_config(config))
TRAINING_RECIPE = asdict(Recipe.training(config))
FINETUNE_RECIPE = asdict(Recipe.finetuning(config))

GPU = 0 if config["accelerator"] == "cpu" else 1  # search and trainings ask for a GPU unless pinned to the CPU
HARDWARE = {"device": config["accelerator"], "precision": str(config["precision"])}  # resolved where the job runs


onstart:  # a real run (not a dry run) needs graphviz's dot for the report: fail now, not after the training
    plan.refuse(plan.program_problems())


def target_check(name):
    """What rule check_target found on a remote device."""
    return f"results/checks/target_{name}.json"


def device_checks(wildcards=None):
    """The checks of every remote device this run uses: an input of each long job, so none starts before
    the devices answered (ancient: a check never makes a finished job stale)."""
    return {f"check_{t}": ancient(target_check(t)) for t in RUN.remote_targets}


def search_inputs(wildcards):
    inputs = {"train": DATA["train"], "stats": DATA["stats"], "fit": ancient(FIT), **device_checks()}
    return dict(inputs, latency=RUN.search_table, budget=RUN.budget) if RUN.search_table else inputs


def search_at_final_inputs(wildcards):
    """The second search's: the first's, on the at-final lane's table and budget."""
    return dict(search_inputs(wildcards), latency=RUN.at_final_table, budget=RUN.lane_budget)


def control_inputs(wildcards):
    """A random net is drawn under the search's budget, or the final model's latency (``*_at_final``);
    nas_at_final trains the second search's pick, pruned_scratch the pruned architecture afresh."""
    name = wildcards.control
    inputs = {"train": DATA["train"], "stats": DATA["stats"], "fit": ancient(FIT), **device_checks()}
    if RUN.search_table and name.startswith("random"):
        lane = at_final(name)
        inputs.update(latency=RUN.at_final_table if lane else RUN.search_table,
                      budget=RUN.lane_budget if lane else RUN.budget)
    if name == "nas_at_final":
        inputs.update(genotype=rules.search_at_final.output.genotype)
    if name == "pruned_scratch":
        inputs.update(shape=RUN.pruned_shape) if RUN.pruned_shape else inputs.update(pruned=rules.prune.output.model)
    return inputs


def control_space(wildcards):
    """The space a control's net is drawn from: the at-final lane's for random<s>_at_final."""
    return RUN.at_final_space if RUN.at_final_space and at_final(wildcards.control) else RUN.space


def budget_lines(wildcards):
    """The budgets drawn on the search target's accuracy-latency figure."""
    if wildcards.target != RUN.search_target:
        return {}
    return {"budget": RUN.budget, **({"final_budget": RUN.final_budget} if RUN.final_budget else {})}


def ssh_target(name):
    """A target's SSH settings; None for this machine."""
    return RUN.ssh(config, name)


def latency_settings(wildcards):
    return latency_slice(config, RUN.space if RUN.hardware_aware else "mobile", ssh_target(wildcards.target))


def latency_at_final_settings(wildcards):
    return latency_slice(config, RUN.at_final_space, ssh_target(RUN.search_target))


def final_budget_settings():
    return final_budget_slice(config, ssh_target(RUN.search_target))


def bench_settings(wildcards):
    """Changing another target's settings reruns nothing here."""
    if wildcards.target == "local":
        return bench_slice(config)
    return bench_slice(config, config["targets"][wildcards.target], ssh_target(wildcards.target),
                       wildcards.target in RUN.emulated)


def undeclared(wildcards):
    """Refuses a benchmark of an undeclared device while the jobs are planned (a dry run fails too)."""
    raise WorkflowError(
        f"results/bench_{wildcards.name}.csv: {wildcards.name!r} is not a declared target; the declared ones are "
        f"{', '.join(RUN.targets)}. A device is declared by a file config/targets/<name>.yaml (copy "
        "config/targets/pi5.yaml, rename the target inside it and set its host)."
    )


def emulator_input(wildcards):
    """The emulated Python a target's jobs need first (none for a real target)."""
    return {"emulator": emulator_python(RUN.emulated[wildcards.target])} if wildcards.target in RUN.emulated else {}


def device_inputs(wildcards):
    """What a job on one target needs first: its emulated Python, and the checks of the remote devices."""
    own = {f"check_{wildcards.target}": ancient(target_check(wildcards.target))} if wildcards.target != "local" else {}
    return {**emulator_input(wildcards), **device_checks(), **own}


def control_workdir(wildcards):
    return f"results/checkpoints/control_{wildcards.control}"


def export_source(wildcards):
    return f"results/models/{EXPORTS[f'{wildcards.name}.onnx']}"


def quantize_source(wildcards):
    return f"results/models/{QUANTIZED[f'{wildcards.name}.onnx']}"


def bench_models(wildcards):
    return deployed_models(DEPLOYED, wildcards.target, config["bench"]["flip_tta"])


def bench_inputs(wildcards):
    files = bench_models(wildcards)
    return {"onnx": [f["onnx"] for f in files], "metrics": [f["metrics"] for f in files],
            "complexity": sorted({f["complexity"] for f in files}), "eager": [f["eager"] for f in files if f["eager"]],
            "test": DATA["test"], "stats": DATA["stats"], **device_inputs(wildcards)}


def demo_inputs(lang):
    """The final model, the test images and the words; the benchmark too when the video has title cards."""
    inputs = {"model": f"results/models/{registry.FINAL_FILE}", "test": DATA["test"], "words": WORDS_OF[lang]}
    return dict(inputs, bench="results/bench_local.csv") if config["demo"]["card_seconds"] > 0 else inputs


def device_slots(wildcards):
    """One benchmark at a time per device (profiles set pi=1); none for this machine."""
    return int(wildcards.target != "local")
