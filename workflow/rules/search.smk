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
        threads: CORES
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
    threads: CORES
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


if FINAL_BUDGET:

    rule final_budget:
        input:
            model="results/models/int8.onnx",
            latency=SEARCH_TABLE,
            **device_checks(),
        output:
            budget=FINAL_BUDGET,
        params:
            target=SEARCH_TARGET,
            settings=final_budget_settings(),
        threads: CORES  # a timing, taken alone
        localrule: True
        conda:
            "../envs/edgenas.yaml"
        log:
            "logs/final_budget.log",
        script:
            "../scripts/final_budget.py"

    # The same search, under the final model's latency: what the search finds at that size
    use rule search as search_at_final with:
        input:
            unpack(search_at_final_inputs),
        output:
            genotype="results/search/genotype_at_final.json",
        params:
            search=search_settings(),
            recipe=search_recipe(),
            split=search_split(),
            seed=config["seed"],
            hardware=HARDWARE,
            workdir="results/search/work_at_final",
        priority: LONG_JOBS
        log:
            "logs/search_at_final.log",
        benchmark:
            "results/runtimes/search_at_final.tsv"
