rule bench:
    input:
        unpack(bench_inputs),
    output:
        csv=report(
            "results/bench_{target}.csv",
            caption="../../report/bench.rst",
            category="Results",
            labels={"table": "benchmark", "target": "{target}"},
        ),
    params:
        models=bench_models,
        settings=bench_settings,
        test=test_subset(),
    wildcard_constraints:
        target="|".join(TARGETS),
    threads: workflow.cores
    resources:
        pi=device_slots,
    localrule: True
    conda:
        "../envs/edgenas.yaml"
    log:
        "logs/bench/{target}.log",
    benchmark:
        "results/runtimes/bench/{target}.tsv"
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
        images=config["edge_bundle"]["sample_images"],
        test=test_subset(),
    localrule: True
    conda:
        "../envs/edgenas.yaml"
    log:
        "logs/edge_bundle.log",
    script:
        "../scripts/edge_bundle.py"
