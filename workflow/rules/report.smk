TARGET_FIGURES = ["accuracy_latency", "accuracy_size", "stage_gains"]
SEARCH_FIGURES = {"darts": ["normal_cell", "reduce_cell", "arch_weights"],
                  "mobile": ["architecture", "population", "latency_check"]}["mobile" if RUN.hardware_aware else RUN.space]
# Snakemake's benchmark files (wall time, memory) of every job the report's run-time table lists,
# from each rule's own benchmark: path
RUN_TIMES = [
    *(str(getattr(rules, r).benchmark) for r in ("prepare_data", "search", "train", "prune", "finetune")),
    *expand(str(rules.quantize.benchmark), name=[n.removesuffix(".onnx") for n in QUANTIZED]),
    *expand(str(rules.train_control.benchmark), control=RUN.controls),
    *expand(str(rules.latency.benchmark), target=[RUN.search_target] if RUN.search_target else []),
    *expand(str(rules.bench.benchmark), target=config["bench"]["targets"]),
    *([str(rules.search_at_final.benchmark)] if "nas_at_final" in RUN.controls else []),
]


# The deliverables in each of report.language's languages: the first in results/figures, results/report
# and results/demo; each other in results/<language>/ (figures, report, demo), from the same run.
for ROOT, LANG, LOGS, SUFFIX in RUN.deliverables:
    rule:
        name: RUN.named("target_figures", LANG)
        input:
            unpack(budget_lines),
            bench=rules.bench.output.csv,
            words=WORDS_OF[LANG],
        output:
            **{
                name: report(
                    f"{ROOT}/figures/{{target}}/{name}.png",
                    caption=f"../../report/{name}.rst",
                    category=f"Figures{SUFFIX}",
                    subcategory="{target}",
                    labels={"figure": name, "target": "{target}"},
                )
                for name in TARGET_FIGURES
            },
        wildcard_constraints:
            target="|".join(t for t in RUN.targets if t not in RUN.emulated),  # emulated latencies are not plotted
        localrule: True
        conda:
            "../envs/edgenas.yaml"
        log:
            f"logs/{LOGS}figures/{{target}}.log",
        script:
            "../scripts/target_figures.py"


    rule:
        name: RUN.named("search_figures", LANG)
        input:
            genotype=rules.search.output.genotype,
            **({"latency": RUN.search_table} if RUN.search_table else {}),
            words=WORDS_OF[LANG],
        output:
            **{
                name: report(
                    f"{ROOT}/figures/{name}.png",
                    caption=f"../../report/{name}.rst",
                    category=f"Search{SUFFIX}",
                    labels={"figure": name},
                )
                for name in SEARCH_FIGURES
            },
        localrule: True
        conda:
            "../envs/edgenas.yaml"
        log:
            f"logs/{LOGS}search_figures.log",
        script:
            "../scripts/search_figures.py"


    rule:
        name: RUN.named("training_curves", LANG)
        input:
            baseline=rules.train.output.history,
            finetuned=rules.finetune.output.history,
            controls=expand(rules.train_control.output.history, control=RUN.controls),
            words=WORDS_OF[LANG],
        output:
            curves=report(
                f"{ROOT}/figures/training_curves.png",
                caption="../../report/training_curves.rst",
                category=f"Figures{SUFFIX}",
                labels={"figure": "training_curves"},
            ),
        params:
            controls=RUN.controls,
        localrule: True
        conda:
            "../envs/edgenas.yaml"
        log:
            f"logs/{LOGS}training_curves.log",
        script:
            "../scripts/training_curves.py"


    rule:
        name: RUN.named("facts", LANG)
        input:
            bench=expand(rules.bench.output.csv, target=config["bench"]["targets"]),
            genotype=rules.search.output.genotype,
            **({"latency": RUN.search_table} if RUN.search_table else {}),
            prune=rules.prune.output.summary,
            train_history=rules.train.output.history,
            control_histories=expand(rules.train_control.output.history, control=RUN.controls),
            stats=DATA["stats"],
            run_times=RUN_TIMES,
            **{name: f"{ROOT}/figures/{name}.png" for name in SEARCH_FIGURES},
            training_curves=f"{ROOT}/figures/training_curves.png",
            target_figures=expand(f"{ROOT}/figures/{{target}}/{{name}}.png", target=RUN.real_bench_targets,
                                  name=TARGET_FIGURES),
            words=WORDS_OF[LANG],
            **({"final_budget": RUN.final_budget} if RUN.final_budget else {}),
            **({"search_at_final": rules.search_at_final.output.genotype} if "nas_at_final" in RUN.controls else {}),
            evaluations=expand(rules.evaluate.output.metrics, model=list(DEPLOYED)),
        output:
            facts=f"{ROOT}/report/facts.json",
        params:
            deployed={name: {k: m[k] for k in ("model", "stage")} for name, m in DEPLOYED.items()},
            settings=report_settings(config),
            controls=RUN.controls,
            language=LANG,
            front={k: config["report"].get(k) for k in ("title", "course")}
            | {"authors": config["report"].get("authors") or []},
        localrule: True
        conda:
            "../envs/edgenas.yaml"
        log:
            f"logs/{LOGS}facts.log",
        script:
            "../scripts/facts.py"


    rule:
        name: RUN.named("results_report", LANG)
        input:
            facts=f"{ROOT}/report/facts.json",
            templates=REPORT_TEMPLATE_FILES,
        output:
            html=report(
                f"{ROOT}/report/report.html",
                caption="../../report/report.rst",
                category=f"Report{SUFFIX}",
                labels={"report": "html"},
            ),
            markdown=report(
                f"{ROOT}/report/report.md",
                caption="../../report/report.rst",
                category=f"Report{SUFFIX}",
                labels={"report": "markdown"},
            ),
            paper=report(
                f"{ROOT}/report/paper.pdf",
                caption="../../report/paper.rst",
                category=f"Report{SUFFIX}",
                labels={"report": "paper"},
            ),
            slides=report(
                f"{ROOT}/report/slides.pdf",
                caption="../../report/slides.rst",
                category=f"Report{SUFFIX}",
                labels={"report": "slides"},
            ),
            notes=report(
                f"{ROOT}/report/slides_notes.pdf",
                caption="../../report/slides.rst",
                category=f"Report{SUFFIX}",
                labels={"report": "speaker notes"},
            ),
            paper_sources=directory(f"{ROOT}/report/paper"),
            slides_sources=directory(f"{ROOT}/report/slides"),
        params:
            templates=REPORT_TEMPLATES,
            figures=f"{ROOT}/figures",
        localrule: True
        conda:
            "../envs/edgenas.yaml"
        log:
            f"logs/{LOGS}results_report.log",
        script:
            "../scripts/report.py"
