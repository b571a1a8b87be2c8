# edgenas: NAS (hardware-aware on a target's latency table, or NNI DARTS) -> train -> prune -> fine-tune -> INT8 -> evaluate -> benchmark -> report
import os
import sys
from pathlib import Path

from snakemake.utils import min_version

from edgenas.records import read_json
from edgenas.deliverables.summary import FACTS, failure_summary, run_summary
from edgenas.words import read_words

min_version("9.0")


# Defaults; --configfile files and --config values given on the command line override them.
configfile: os.path.join(workflow.basedir, "config", "config.yaml")


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/latency.smk"
include: "workflow/rules/search.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/controls.smk"
include: "workflow/rules/prune.smk"
include: "workflow/rules/finetune.smk"
include: "workflow/rules/quantize.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/bench.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/demo.smk"


rule all:
    default_target: True
    localrule: True
    input:
        expand("results/bench_{target}.csv", target=config["bench"]["targets"]),
        *(f"{root}/{f}" for root, *_ in RUN.deliverables for f in ("report/report.html", "report/paper.pdf", "demo/demo.mp4")),
        "results/edge",


# snakemake --report needs a finished run: every file it shows must exist
if REPORT_MODE and not all(Path(f).exists() for f in rules.all.input):
    print("snakemake --report: no finished run in this folder yet; run the workflow first (snakemake --cores all), "
          "then snakemake --report report.html", file=sys.stderr)
    sys.exit(1)


onsuccess:
    if Path(FACTS).is_file():
        print(f"\n{run_summary(read_json(FACTS), read_words(WORDS))}")


onerror:
    print(f"\n{failure_summary(log, read_words(WORDS), command=sys.argv[1:])}", file=sys.stderr)
