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


rule undeclared_target:
    output:
        csv="results/bench_{name}.csv",
    params:
        declared=TARGETS,
    wildcard_constraints:
        name=f"(?!(?:{'|'.join(TARGETS)})(?![A-Za-z0-9_-]))[A-Za-z0-9_-]+",  # any name but a declared one
    localrule: True
    log:
        "logs/undeclared_target/{name}.log",
    run:
        raise WorkflowError(
            f"results/bench_{wildcards.name}.csv: {wildcards.name!r} is not a declared target; the declared ones "
            f"are {', '.join(params.declared)}. Declare it under targets: in a config file (see "
            "config/targets/pi5.yaml) and pass that file with --configfile, or use its profile (--workflow-profile)."
        )


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
