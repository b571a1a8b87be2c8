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


if PLANNED_BUDGET:

    # The at-final lane's table: the shapes pruning gives the space's nets, on the search target
    use rule latency as latency_at_final with:
        input:
            **device_checks(),
            stats=DATA["stats"],
            fit=ancient(FIT),
        output:
            table=AT_FINAL_TABLE,
        params:
            settings=latency_at_final_settings,
            target=SEARCH_TARGET,
        priority: CRITICAL_PATH + 1  # before the search takes the cores, so the lane's plan follows it at once
        resources:
            pi=int(SEARCH_TARGET != "local"),
        log:
            "logs/latency/at_final.log",
        benchmark:
            "results/runtimes/latency/at_final.tsv"
