if BUDGET:

    rule budget:
        input:
            latency=SEARCH_TABLE,
        output:
            budget=BUDGET,
        params:
            latency_ms=config["search"]["hardware_aware"]["latency_ms"],
            latency_quantile=config["search"]["hardware_aware"]["latency_quantile"],
        priority: CRITICAL_PATH
        # all the cores for its few seconds: on one, a control training would start beside it and
        # hold a core the search then waits for (tests/test_workflow.py checks the order)
        threads: workflow.cores
        localrule: True
        conda:
            "../envs/edgenas.yaml"
        log:
            "logs/budget.log",
        script:
            "../scripts/budget.py"


rule search:
    input:
        unpack(search_inputs),
    output:
        genotype="results/search/genotype.json",
    params:
        search=search_settings(),
        recipe=search_recipe(),
        split=search_split(),
        seed=config["seed"],
        hardware=HARDWARE,
        workdir="results/search/work",
    priority: CRITICAL_PATH
    threads: workflow.cores
    resources:
        gpu=GPU,
    conda:
        "../envs/edgenas.yaml"
    log:
        "logs/search.log",
    benchmark:
        "results/runtimes/search.tsv"
    script:
        "../scripts/search.py"
