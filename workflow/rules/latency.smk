rule latency:
    input:
        unpack(device_inputs),
        stats=DATA["stats"],
        fit=ancient(FIT),
    output:
        table=report(
            "results/latency/{target}.json",
            caption="../../report/latency.rst",
            category="Latency tables",
            labels={"table": "latency", "target": "{target}"},
        ),
    params:
        settings=latency_settings,
    wildcard_constraints:
        target="|".join(TARGETS),
    priority: CRITICAL_PATH
    threads: CORES  # timings taken alone
    resources:
        pi=device_slots,
    localrule: True
    conda:
        "../envs/edgenas.yaml"
    log:
        "logs/latency/{target}.log",
    benchmark:
        "results/runtimes/latency/{target}.tsv"
    script:
        "../scripts/latency.py"
