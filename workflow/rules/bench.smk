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
        test=TEST_SUBSET,
    wildcard_constraints:
        target="|".join(RUN.targets),
    threads: CORES
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
        test=TEST_SUBSET,
    localrule: True
    conda:
        "../envs/edgenas.yaml"
    log:
        "logs/edge_bundle.log",
    script:
        "../scripts/edge_bundle.py"


rule check_target:
    input:
        unpack(emulator_input),
    output:
        check=temp(target_check("{target}")),
    params:
        device=lambda wildcards: ssh_target(wildcards.target),
    wildcard_constraints:
        target="|".join(t for t in RUN.targets if t != "local") or "(?!)",
    priority: 100  # before everything: it has no input but the emulated Python, and takes seconds
    localrule: True
    conda:
        "../envs/edgenas.yaml"
    log:
        "logs/check_target/{target}.log",
    script:
        "../scripts/check_target.py"


rule undeclared_target:
    input:
        undeclared,
    output:
        csv="results/bench_{name}.csv",
    wildcard_constraints:
        name=f"(?!(?:{'|'.join(RUN.targets)})(?![A-Za-z0-9_-]))[A-Za-z0-9_-]+",  # any name but a declared one
    localrule: True
    conda:
        "../envs/edgenas.yaml"
    log:
        "logs/undeclared_target/{name}.log",
    shell:
        "exit 1"


rule emulated_python:
    output:
        python="resources/emulator/{cpu}/python",
    wildcard_constraints:
        cpu="[a-z0-9-]+",
    localrule: True
    conda:
        "../envs/edgenas.yaml"
    log:
        "logs/emulated_python/{cpu}.log",
    script:
        "../scripts/emulated_python.py"
