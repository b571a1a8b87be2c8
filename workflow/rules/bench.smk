rule bench:
    input:
        **{stage: f"results/models/{name}" for stage, name in STAGE_MODELS.items()},
        # PyTorch eager reference rows (this machine only)
        **{f"{stage}_pt": f"results/models/{stage}.pt" for stage in EAGER_STAGES},
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
        eager_stages=EAGER_STAGES,
        bench=config["bench"],
        device=lambda wc: config["targets"].get(wc.target),
        split=split_params(),
    wildcard_constraints:
        target="|".join(TARGETS),
    threads: workflow.cores
    resources:
        pi=lambda wc: int(wc.target != "local"),  # one benchmark at a time per device (profiles set pi=1)
    conda:
        "../envs/edgenas.yaml"
    log:
        "logs/bench/{target}.log",
    script:
        "../scripts/bench.py"


rule edge_bundle:
    input:
        model="results/models/int8.onnx",
        test=DATA["test"],
        stats=DATA["stats"],
    output:
        bundle=directory("results/edge"),
    params:
        images=config["bench"]["device_images"],
        split=split_params(),
    conda:
        "../envs/edgenas.yaml"
    log:
        "logs/edge_bundle.log",
    script:
        "../scripts/edge_bundle.py"
