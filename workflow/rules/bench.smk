rule bench:
    input:
        # the NAS stages' ONNX files, then each control's
        **{stage: f"results/models/{name}" for stage, name in STAGE_MODELS.items()},
        **{f"control_{c}": f"results/models/{name}" for c, name in CONTROL_MODELS.items()},
        # test accuracy of every ONNX file; MACs and params of the controls' checkpoints
        metrics=[f"results/eval/{name}.json" for name in [*STAGE_MODELS.values(), *CONTROL_MODELS.values()]],
        control_checkpoints=[f"results/eval/control_{c}.pt.json" for c in CONTROLS],
        # PyTorch eager reference rows (this machine only)
        **{f"{stage}_pt": f"results/models/{stage}.pt" for stage in EAGER_STAGES},
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
        controls=CONTROLS,
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
    benchmark:
        "results/benchmarks/bench/{target}.tsv"
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
