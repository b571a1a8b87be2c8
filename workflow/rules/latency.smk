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
        target="{target}",
    wildcard_constraints:
        target="|".join(RUN.targets),
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


if RUN.planned_budget:

    # The at-final lane's table: the shapes pruning gives the space's nets, on the search target
    use rule latency as latency_at_final with:
        input:
            **device_checks(),
            stats=DATA["stats"],
            fit=ancient(FIT),
        output:
            table=RUN.at_final_table,
        params:
            settings=latency_at_final_settings,
            target=RUN.search_target,
        priority: CRITICAL_PATH + 1  # before the search takes the cores, so the lane's plan follows it at once
        resources:
            pi=int(RUN.search_target != "local"),
        log:
            "logs/latency/at_final.log",
        benchmark:
            "results/runtimes/latency/at_final.tsv"
