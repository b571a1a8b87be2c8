import json
import shutil
import sys
from dataclasses import asdict
from pathlib import Path
from types import SimpleNamespace

import yaml

from snakemake.exceptions import WorkflowError

from edgenas.cliconfig import typed_like_schema
from edgenas.controls import at_final, at_final_space, control_names
from edgenas import fits, plan, registry
from edgenas.search import spaces
from edgenas.settings import Demo, Prune, Quantize, Recipe, Split, TestSubset
from edgenas.remote import ssh_settings, target_files
from edgenas.words import words_file


# --cores as given (every core for --cores all); 1 where no job runs and none is given (--report)
try:
    CORES = workflow.cores
except WorkflowError:
    CORES = 1
# snakemake --report on a folder without a finished run says so in one line (Snakefile)
REPORT_MODE = any(a == "--report" or a.startswith("--report=") for a in sys.argv[1:])

# A device is declared by its own file, config/targets/<name>.yaml (its settings, validated below as
# targets.<name>), read here: a preset or any other --configfile never drops it. A targets: entry of a
# config file wins over the file of that name.
TARGET_FILES = Path(workflow.basedir, "config", "targets")
for _name, _settings in target_files(TARGET_FILES).items():
    config.setdefault("targets", {}).setdefault(_name, _settings)

# --config's nested values arrive as strings ("prune={ratio: 0.3}" -> "0.3"): type them first, then
# refuse what the schema does not allow, one line per problem (edgenas.plan), before any job runs
_SCHEMA = Path(workflow.basedir, "workflow", "schemas", "config.schema.yaml")
_SCHEMA_DOC = yaml.safe_load(_SCHEMA.read_text())
config.update(typed_like_schema(config, _SCHEMA_DOC))
plan.check_config(config, _SCHEMA_DOC, log="logs/config.log")

# A data_root the data stage cannot read is refused now, not after Snakemake deleted the decoded data
# (a report of a finished run elsewhere reads no data)
if not REPORT_MODE:
    plan.refuse(plan.data_root_problems(config))

# Keys that must agree with each other (targets, the search target, the controls a space can have)
plan.refuse(plan.cross_field_problems(config))

# Targets are the devices a benchmark runs on: this machine, and those declared under targets:.
TARGETS = ["local", *config["targets"]]
# Emulated targets (targets.<name>.emulate: an Arm core, or haswell: x86 without VNNI): a Python run by
# QEMU on this machine, reached over SSH like a device. Their accuracy is that CPU's kernels'; their
# latency means nothing.
EMULATED = {name: t["emulate"] for name, t in config["targets"].items() if t.get("emulate")}
# The benchmarked targets whose latencies are real: figures and analyses are drawn on these only
REAL_BENCH_TARGETS = [t for t in config["bench"]["targets"] if t not in EMULATED]

# The searched space: mobile or dense (hardware-aware, on a target's latency table, with the
# search.hardware_aware: settings) or darts
SPACE = config["search"]["space"]
HARDWARE_AWARE = SPACE in spaces.HARDWARE_AWARE
# The target and latency table the hardware-aware search and its random controls are budgeted on
SEARCH_TARGET = config["search"]["hardware_aware"]["target"] if HARDWARE_AWARE else None
SEARCH_TABLE = f"results/latency/{SEARCH_TARGET}.json" if SEARCH_TARGET else None
# The search's latency budget on that table, resolved once (rule budget) for the search and the random controls
BUDGET = "results/search/budget.json" if SEARCH_TARGET else None
# a fixed budget the space cannot reach is refused now when the table is on disk (else by the budget job)
if SEARCH_TABLE:
    plan.refuse(plan.budget_problems(SEARCH_TABLE, config["search"]["hardware_aware"]["latency_ms"]))
SEARCH_STRATEGY = config["search"]["hardware_aware"]["strategy"] if HARDWARE_AWARE else "darts"
# The remote devices this run uses (bench.targets, the search's target) answer first: rule
# check_target, taken by the latency table, the search and every training, finds an unreachable
# device, a wrong user or a missing onnxruntime in seconds, not after the training.
REMOTE_TARGETS = sorted({t for t in [*config["bench"]["targets"], SEARCH_TARGET] if t and t != "local"})

# Reference models trained with the same recipe (workflow/rules/controls.smk), by name.
CONTROLS = control_names(config["controls"]["models"], config["controls"]["random_seeds"])
# The at-final lane (nas_at_final, random<s>_at_final) searches and draws at the final model's latency.
# Where the pruned shape follows from the genotype and prune: alone (edgenas.controls.at_final_space),
# its space is the shapes pruning produces, with its own latency table (latency_at_final), and its
# budget is the pruned shape timed untrained right after the search (budget_at_final), so the lane
# runs beside the main chain, and pruned_scratch trains that shape. Elsewhere the lane waits for the
# final model's measured latency and searches the main space.
AT_FINAL_LANE = any(at_final(c) for c in CONTROLS)
AT_FINAL_SPACE = at_final_space(SPACE, Prune.from_config(config)) if HARDWARE_AWARE else None
PRUNED_SHAPE = "results/search/pruned_shape.json" if AT_FINAL_SPACE and (
    AT_FINAL_LANE or "pruned_scratch" in CONTROLS) else None
PLANNED_BUDGET = "results/search/budget_at_final.json" if AT_FINAL_SPACE and AT_FINAL_LANE else None
AT_FINAL_TABLE = f"results/latency/{SEARCH_TARGET}_at_final.json" if PLANNED_BUDGET else SEARCH_TABLE
# The final INT8 model's latency measured on the search target after the chain, beside the planned
# budget (rule final_budget); without a plan, it is the lane's budget itself
FINAL_BUDGET = "results/search/final_budget.json" if AT_FINAL_LANE else None
LANE_BUDGET = PLANNED_BUDGET or FINAL_BUDGET

# The templates of the paper, the slides and the report: the student's edited copy (report.templates)
# first, the workflow's own (report/templates/) for every file it lacks. Their files are the report's
# inputs, so an edit rebuilds the PDFs with the run's numbers.
REPORT_TEMPLATES = [str(Path(workflow.basedir, "report", "templates"))]
if config["report"].get("templates"):
    REPORT_TEMPLATES.insert(0, str(config["report"]["templates"]))
# The words the code places before a reader (figure labels, table columns, the video, the summary), in
# report.language: the first template folder's catalogue (edgenas.words)
WORDS = str(words_file(config["report"]["language"], REPORT_TEMPLATES))
REPORT_TEMPLATE_FILES = sorted(str(f) for folder in REPORT_TEMPLATES for f in Path(folder).iterdir() if f.is_file())

DATA = {
    "train": "resources/data/train.npz",
    "test": "resources/data/test.npz",
    "stats": "resources/data/stats.json",
}
# Whether the trainings fit the data's image counts, checked before any long job: on a first run by
# rule check_fit right after the data stage (its jobs take it as ancient()); once the configured data
# is decoded, here, at parse time, so a changed setting is refused before any job starts.
FIT = "results/checks/fit.json"
_stats = json.loads(Path(DATA["stats"]).read_text()) if Path(DATA["stats"]).exists() else None
if _stats and _stats["source"]["dataset"] == config["data"]["dataset"] and _stats["source"]["root"] == str(
        config["data_root"]) and _stats["image_size"] == config["data"]["image_size"]:
    _train, _val = Split.from_config(config).indices(_stats["images"]["train"])
    fits.check(config, len(_train), len(_val))

# Every deployed model, by ONNX file under results/models/ (edgenas.registry): its model ("nas" or a
# control), its stage and the checkpoint it comes from; every INT8 file with the FP32 file it is quantized
# from, and every other file with the checkpoint it is exported from.
DEPLOYED = registry.deployed_files(CONTROLS)
QUANTIZED = registry.quantized_from(CONTROLS)
EXPORTS = {name: m["checkpoint"] for name, m in DEPLOYED.items() if name not in QUANTIZED}
FINAL_MODEL = registry.FINAL_FILE  # the searched net after the whole compression chain
# FP32 models also timed in PyTorch eager mode on this machine: what deployment through ONNX Runtime buys
EAGER = ["baseline.onnx", "finetuned.onnx"]

# Trainings run two side by side when controls train beside the searched net, each on half the cores;
# without controls a training has every core (why: docs/decisions.md, scheduler rules).
TRAIN_THREADS = max(1, CORES // 2) if CONTROLS else CORES
# The searched net's chain goes first whenever jobs wait for cores: the latency table, the search, the
# training, pruning and fine-tuning of the searched net; the controls fill the other cores.
CRITICAL_PATH = 10
# Then the controls' trainings, long jobs before the short exports and evaluations. The scheduler (ILP)
# starts the jobs whose summed priority is highest, so two of them together must weigh less than one job
# of the chain (tests/test_workflow.py checks the order).
LONG_JOBS = 4
# The jobs that plan the at-final lane right after the search (the pruned shape and its timing) take every
# core for seconds, before any training starts: they outweigh the two trainings that could start instead.
PLANNING = 3 * CRITICAL_PATH

# search, training and fine-tuning ask for a GPU unless the config pins them to the CPU
GPU = 0 if config["device"] == "cpu" else 1
# device and precision, resolved on the machine that runs the job (edgenas.accel.resolve)
HARDWARE = {"device": config["device"], "precision": str(config["precision"])}


onstart:
    if shutil.which("dot") is None:  # fail now, not after hours of training at the report's cell diagrams
        raise WorkflowError("graphviz's 'dot' is not on PATH; the report draws the searched cells with it. "
                            "Install it: sudo apt-get install graphviz (Debian/Ubuntu), brew install graphviz "
                            "(macOS) or conda install -c conda-forge graphviz.")


def train_split():
    """What defines the training and validation images (edgenas.settings.Split): passed to every
    rule that trains, calibrates or validates on them, and to no other."""
    return asdict(Split.from_config(config))


def test_subset():
    """What defines the test images every accuracy is measured on (edgenas.data.load_test_subset)."""
    return asdict(TestSubset.from_config(config))


def training_recipe():
    """The recipe of the searched net and every control (edgenas.settings.Recipe.training)."""
    return asdict(Recipe.training(config))


def darts_net():
    """The DARTS evaluation net's size (the searched net and its random controls); none for the mobile space."""
    d = config["train"]["darts"]
    return {k: d[k] for k in ("width", "num_cells", "drop_path")} if SPACE == "darts" else {}


def finetune_recipe():
    """Fine-tuning's recipe: its own settings and the training recipe's others (edgenas.settings.Recipe.finetuning)."""
    return asdict(Recipe.finetuning(config))


def search_settings():
    """The searched space and its strategy's settings (the other space's and strategy's are not read)."""
    settings = {"space": SPACE, **config["search"]["hardware_aware" if HARDWARE_AWARE else SPACE]}
    if HARDWARE_AWARE:
        other = {"halving": "spos", "spos": "halving"}[settings["strategy"]]
        settings.pop(other)
    return settings


def search_section():
    """The search: section as a config file nests it, with the searched space's settings only (the other
    strategy's and the other space's are not read), so the report's copy of it loads back as config."""
    section = {k: v for k, v in config["search"].items() if k in ("space", "hardware_aware" if HARDWARE_AWARE else SPACE)}
    if HARDWARE_AWARE:
        other = {"halving": "spos", "spos": "halving"}[SEARCH_STRATEGY]
        section["hardware_aware"] = {k: v for k, v in section["hardware_aware"].items() if k != other}
    return section


def search_recipe():
    """The training recipe of the halving search's one-epoch trainings: all but its epochs (no
    other search reads it)."""
    return {k: v for k, v in training_recipe().items() if k != "epochs"} if SEARCH_STRATEGY == "halving" else {}


def search_split():
    """The training and validation images the halving search trains and scores on."""
    return train_split() if SEARCH_STRATEGY == "halving" else {}


def target_check(name):
    """What rule check_target found on a remote device (kept while the run needs it)."""
    return f"results/checks/target_{name}.json"


def device_checks(wildcards=None):
    """The checks of every remote device this run uses: an input of each long job, so none
    starts before the devices answered (ancient: a check never makes a finished job stale)."""
    return {f"check_{t}": ancient(target_check(t)) for t in REMOTE_TARGETS}


def search_inputs(wildcards):
    inputs = {"train": DATA["train"], "stats": DATA["stats"], "fit": ancient(FIT), **device_checks()}
    return dict(inputs, latency=SEARCH_TABLE, budget=BUDGET) if SEARCH_TABLE else inputs


def control_inputs(wildcards):
    """A random architecture of a hardware-aware space is drawn under the search's latency budget, or
    under the final model's latency (``*_at_final``); nas_at_final trains the second search's pick,
    pruned_scratch the pruned net's architecture with fresh weights."""
    name = wildcards.control
    inputs = {"train": DATA["train"], "stats": DATA["stats"], "fit": ancient(FIT), **device_checks()}
    if SEARCH_TABLE and name.startswith("random"):
        inputs.update(latency=AT_FINAL_TABLE, budget=LANE_BUDGET) if at_final(name) else inputs.update(
            latency=SEARCH_TABLE, budget=BUDGET)
    if name == "nas_at_final":
        inputs.update(genotype="results/search/genotype_at_final.json")
    if name == "pruned_scratch":
        inputs.update(shape=PRUNED_SHAPE) if PRUNED_SHAPE else inputs.update(pruned="results/models/pruned.pt")
    return inputs


def control_space(wildcards):
    """The space a control's net is drawn from: the at-final lane's for random<s>_at_final."""
    return AT_FINAL_SPACE if AT_FINAL_SPACE and at_final(wildcards.control) else SPACE




def budget_lines(wildcards):
    """The budgets drawn on the search target's accuracy-latency figure: the search's, and the final
    model's latency where controls are budgeted at it (latencies of that target alone)."""
    if wildcards.target != SEARCH_TARGET:
        return {}
    return {"budget": BUDGET, **({"final_budget": FINAL_BUDGET} if FINAL_BUDGET else {})}


def search_at_final_inputs(wildcards):
    """The second search's: the first's, on the at-final lane's table and budget."""
    return dict(search_inputs(wildcards), latency=AT_FINAL_TABLE, budget=LANE_BUDGET)


def search_at_final_settings():
    """The second search's settings: the first's, in the at-final lane's space."""
    return dict(search_settings(), space=AT_FINAL_SPACE or SPACE)


def pruned_shape_settings():
    """What fixes the pruned net's shape where the lane plans it: the share removed and the rounding
    (the importance ranks channels, which does not change how many each group keeps)."""
    return {k: config["prune"][k] for k in ("ratio", "round_to")}


def final_budget_settings():
    """How the final model (and the planned shape) is timed on the search target: as the latency
    table times whole nets, with the deployed INT8 graph."""
    settings = {k: config["latency"][k] for k in ("threads", "warmup", "runs", "rounds")}
    settings = dict(settings, seed=config["seed"], quantize=Quantize.from_config(config).kernels())
    return dict(settings, device=device(SEARCH_TARGET)) if SEARCH_TARGET != "local" else settings


def latency_settings(wildcards, space=None):
    """What one target's latency table uses: the deployed INT8 graph (not its calibration method,
    which changes scales, not kernels), the timing settings, and the device for a remote target."""
    settings = {"quantize": Quantize.from_config(config).kernels(), **config["latency"], "seed": config["seed"],
                "space": space or (SPACE if HARDWARE_AWARE else "mobile")}
    if wildcards.target != "local":
        settings["device"] = device(wildcards.target)
    return settings


def latency_at_final_settings(wildcards):
    """The at-final lane's table: the search target's settings, timing the pruned-shape space."""
    return latency_settings(SimpleNamespace(target=SEARCH_TARGET), AT_FINAL_SPACE)


def emulator_python(cpu):
    """Where the emulated Python for a CPU is built (rule emulated_python)."""
    return f"resources/emulator/{cpu}/python"


def device(name):
    """A declared target's SSH settings, as remote.Target takes them: an emulated target's
    Python is the one built on this machine; its own timing runs are not SSH settings."""
    emulated = str(Path(emulator_python(EMULATED[name])).resolve()) if name in EMULATED else None
    return ssh_settings(config["targets"][name], emulated)


def undeclared(wildcards):
    """Refuses a benchmark of an undeclared device while the jobs are planned, so a dry run fails
    with the message a real run gives."""
    raise WorkflowError(
        f"results/bench_{wildcards.name}.csv: {wildcards.name!r} is not a declared target; the declared ones are "
        f"{', '.join(TARGETS)}. A device is declared by a file config/targets/<name>.yaml (copy "
        "config/targets/pi5.yaml, rename the target inside it and set its host)."
    )


def emulator_input(wildcards):
    """The emulated Python a target's jobs need first (none for a real target)."""
    return {"emulator": emulator_python(EMULATED[wildcards.target])} if wildcards.target in EMULATED else {}


def device_inputs(wildcards):
    """What a job on one target needs first: its emulated Python, and for a remote device its check
    and those of every other device the run uses (the latency table is a long job too)."""
    checks = dict(device_checks(), **({f"check_{wildcards.target}": ancient(target_check(wildcards.target))}
                                      if wildcards.target != "local" else {}))
    return dict(emulator_input(wildcards), **checks)


def control_workdir(wildcards):
    return f"results/checkpoints/control_{wildcards.control}"


def export_source(wildcards):
    return f"results/models/{EXPORTS[f'{wildcards.name}.onnx']}"


def quantize_source(wildcards):
    return f"results/models/{QUANTIZED[f'{wildcards.name}.onnx']}"


def bench_models(wildcards):
    """Per deployed model: its names, its ONNX file, its evaluation (accuracy) and its checkpoint's
    (MACs, params), on this machine the checkpoint timed in PyTorch eager mode, and whether the
    file is also measured with flip test-time augmentation (the final model, bench.flip_tta)."""
    return [{"model": m["model"], "stage": m["stage"], "onnx": f"results/models/{name}",
             "metrics": f"results/eval/{name}.json", "complexity": f"results/eval/{m['checkpoint']}.json",
             "eager": f"results/models/{m['checkpoint']}" if wildcards.target == "local" and name in EAGER else None,
             "flip_tta": config["bench"]["flip_tta"] and name == FINAL_MODEL}
            for name, m in DEPLOYED.items()]


def bench_inputs(wildcards):
    files = bench_models(wildcards)
    return {"onnx": [f["onnx"] for f in files], "metrics": [f["metrics"] for f in files],
            "complexity": sorted({f["complexity"] for f in files}), "eager": [f["eager"] for f in files if f["eager"]],
            "test": DATA["test"], "stats": DATA["stats"], **device_inputs(wildcards)}


def bench_settings(wildcards):
    """What one target's benchmark uses: ONNX Runtime's threads here; the device, its sample size
    and seed on a remote target. Changing another target's settings reruns nothing here."""
    b = config["bench"]
    settings = {"warmup": b["warmup"], "runs": b["runs"], "rounds": b["rounds"]}
    if wildcards.target == "local":
        return dict(settings, threads=b["threads"])
    declared = config["targets"][wildcards.target]
    settings = dict(settings, device_images=b["device_images"])
    settings.update({k: declared[k] for k in ("warmup", "runs", "rounds", "device_images") if k in declared})
    return dict(settings, device=device(wildcards.target), seed=config["seed"], emulated=wildcards.target in EMULATED)


def demo_inputs(wildcards):
    """The final model and the test images; the benchmark too when the video has title cards."""
    inputs = {"model": "results/models/int8.onnx", "test": DATA["test"], "words": WORDS}
    return dict(inputs, bench="results/bench_local.csv") if config["demo"]["card_seconds"] > 0 else inputs


def device_slots(wildcards):
    """One benchmark at a time per device (profiles set pi=1); none for this machine."""
    return int(wildcards.target != "local")


def report_settings():
    """The config sections behind what the report shows (not the demo's, nor the devices')."""
    b = config["bench"]
    return {**{k: config[k] for k in ("seed", "device", "precision", "data", "train", "controls", "prune",
                                      "finetune", "quantize")},
            "search": search_section(), **({"latency": config["latency"]} if HARDWARE_AWARE else {}),
            "bench": {k: b[k] for k in ("targets", "threads", "warmup", "runs", "rounds")}}
