TARGET_FIGURES = ["accuracy_latency", "accuracy_size", "stage_gains"]
SEARCH_FIGURES = {"darts": ["normal_cell", "reduce_cell", "arch_weights"],
                  "mobile": ["architecture", "population", "latency_check"]}["mobile" if HARDWARE_AWARE else SPACE]
# Snakemake's benchmark files (wall time, memory) of every job the report's run-time table lists,
# from each rule's own benchmark: path
RUN_TIMES = [
    *(str(getattr(rules, r).benchmark) for r in ("prepare_data", "search", "train", "prune", "finetune")),
    *expand(str(rules.quantize.benchmark), name=[n.removesuffix(".onnx") for n in QUANTIZED]),
    *expand(str(rules.train_control.benchmark), control=CONTROLS),
    *expand(str(rules.latency.benchmark), target=[SEARCH_TARGET] if SEARCH_TARGET else []),
    *expand(str(rules.bench.benchmark), target=config["bench"]["targets"]),
    *([str(rules.search_at_final.benchmark)] if "nas_at_final" in CONTROLS else []),
]


rule target_figures:
    input:
        unpack(budget_lines),
        bench="results/bench_{target}.csv",
        words=WORDS,
    output:
        **{
            name: report(
                f"results/figures/{{target}}/{name}.png",
                caption=f"../../report/{name}.rst",
                category="Figures",
                subcategory="{target}",
                labels={"figure": name, "target": "{target}"},
            )
            for name in TARGET_FIGURES
        },
    wildcard_constraints:
        target="|".join(t for t in TARGETS if t not in EMULATED),  # emulated latencies are not plotted
    localrule: True
    conda:
        "../envs/edgenas.yaml"
    log:
        "logs/figures/{target}.log",
    script:
        "../scripts/target_figures.py"


rule search_figures:
    input:
        genotype=rules.search.output.genotype,
        **({"latency": SEARCH_TABLE} if SEARCH_TABLE else {}),
        words=WORDS,
    output:
        **{
            name: report(
                f"results/figures/{name}.png",
                caption=f"../../report/{name}.rst",
                category="Search",
                labels={"figure": name},
            )
            for name in SEARCH_FIGURES
        },
    localrule: True
    conda:
        "../envs/edgenas.yaml"
    log:
        "logs/search_figures.log",
    script:
        "../scripts/search_figures.py"


rule training_curves:
    input:
        baseline=rules.train.output.history,
        finetuned=rules.finetune.output.history,
        controls=expand("results/models/control_{control}_history.csv", control=CONTROLS),
        words=WORDS,
    output:
        curves=report(
            "results/figures/training_curves.png",
            caption="../../report/training_curves.rst",
            category="Figures",
            labels={"figure": "training_curves"},
        ),
    params:
        controls=CONTROLS,
    localrule: True
    conda:
        "../envs/edgenas.yaml"
    log:
        "logs/training_curves.log",
    script:
        "../scripts/training_curves.py"


rule facts:
    input:
        bench=expand("results/bench_{target}.csv", target=config["bench"]["targets"]),
        genotype=rules.search.output.genotype,
        **({"latency": SEARCH_TABLE} if SEARCH_TABLE else {}),
        prune=rules.prune.output.summary,
        train_history=rules.train.output.history,
        control_histories=expand("results/models/control_{control}_history.csv", control=CONTROLS),
        stats=DATA["stats"],
        run_times=RUN_TIMES,
        **{name: f"results/figures/{name}.png" for name in SEARCH_FIGURES},
        training_curves=rules.training_curves.output.curves,
        target_figures=expand("results/figures/{target}/{name}.png", target=REAL_BENCH_TARGETS,
                              name=TARGET_FIGURES),
        words=WORDS,
        **({"final_budget": FINAL_BUDGET} if FINAL_BUDGET else {}),
        **({"search_at_final": "results/search/genotype_at_final.json"} if "nas_at_final" in CONTROLS else {}),
        evaluations=expand("results/eval/{name}.json", name=DEPLOYED),
    output:
        facts="results/report/facts.json",
    params:
        deployed={name: {k: m[k] for k in ("model", "stage")} for name, m in DEPLOYED.items()},
        settings=report_settings(),
        controls=CONTROLS,
        language=config["report"]["language"],
        front={k: config["report"].get(k) for k in ("title", "course")}
        | {"authors": config["report"].get("authors") or []},
    localrule: True
    conda:
        "../envs/edgenas.yaml"
    log:
        "logs/facts.log",
    script:
        "../scripts/facts.py"


rule results_report:
    input:
        facts=rules.facts.output.facts,
        templates=REPORT_TEMPLATE_FILES,
    output:
        html=report(
            "results/report/report.html",
            caption="../../report/report.rst",
            category="Report",
            labels={"report": "html"},
        ),
        markdown=report(
            "results/report/report.md",
            caption="../../report/report.rst",
            category="Report",
            labels={"report": "markdown"},
        ),
        paper=report(
            "results/report/paper.pdf",
            caption="../../report/paper.rst",
            category="Report",
            labels={"report": "paper"},
        ),
        slides=report(
            "results/report/slides.pdf",
            caption="../../report/slides.rst",
            category="Report",
            labels={"report": "slides"},
        ),
        notes=report(
            "results/report/slides_notes.pdf",
            caption="../../report/slides.rst",
            category="Report",
            labels={"report": "speaker notes"},
        ),
        paper_sources=directory("results/report/paper"),
        slides_sources=directory("results/report/slides"),
    params:
        templates=REPORT_TEMPLATES,
        figures="results/figures",
    localrule: True
    conda:
        "../envs/edgenas.yaml"
    log:
        "logs/results_report.log",
    script:
        "../scripts/report.py"
