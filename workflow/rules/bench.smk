rule bench:
    input:
        **{stage: f"results/models/{name}" for stage, name in STAGE_MODELS.items()},
        metrics=[f"results/eval/{name}.json" for name in STAGE_MODELS.values()],
        prune=rules.prune.output.summary,
        test=DATA["test"],
        stats=DATA["stats"],
    output:
        csv=report(
            "results/bench_{target}.csv",
            caption="../../report/bench.rst",
            category="Results",
            labels={"table": "benchmark", "target": "{target}"},
        ),
    params:
        stages=list(STAGE_MODELS),
        bench=config["bench"],
    wildcard_constraints:
        target="|".join(config["bench"]["targets"]),
    threads: workflow.cores
    conda:
        "../envs/edgenas.yaml"
    log:
        "logs/bench/{target}.log",
    script:
        "../scripts/bench.py"
