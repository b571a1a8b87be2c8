FIGURES = ["accuracy_latency", "size", "training_curves"]


rule figures:
    input:
        bench=f"results/bench_{config['bench']['targets'][0]}.csv",
        baseline=rules.train.output.history,
        finetuned=rules.finetune.output.history,
    output:
        **{
            name: report(
                f"results/figures/{name}.png",
                caption=f"../../report/{name}.rst",
                category="Figures",
                labels={"figure": name},
            )
            for name in FIGURES
        },
    conda:
        "../envs/edgenas.yaml"
    log:
        "logs/figures.log",
    script:
        "../scripts/figures.py"


rule results_report:
    input:
        bench=expand("results/bench_{target}.csv", target=config["bench"]["targets"]),
        genotype=rules.search.output.genotype,
        prune=rules.prune.output.summary,
        figures=expand("results/figures/{name}.png", name=FIGURES),
    output:
        html=report(
            "results/report/report.html",
            caption="../../report/report.rst",
            category="Report",
            labels={"report": "results"},
        ),
    conda:
        "../envs/edgenas.yaml"
    log:
        "logs/results_report.log",
    script:
        "../scripts/report.py"
