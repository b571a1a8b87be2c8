if RUN.budget:

    rule budget:
        input:
            latency=RUN.search_table,
        output:
            budget=RUN.budget,
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
        search=search_settings(config),
        recipe=search_recipe(config),
        split=search_split(config),
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


if RUN.planned_budget:

    # The at-final lane's plan right after the search: the pruned net's shape (the searched net, untrained,
    # pruned with prune:), and its INT8 latency timed whole on the search target, the lane's budget
    rule budget_at_final:
        input:
            genotype=rules.search.output.genotype,
            stats=DATA["stats"],
            latency=RUN.at_final_table,
            **device_checks(),
        output:
            shape=RUN.pruned_shape,
            budget=RUN.planned_budget,
        params:
            prune=pruned_shape_settings(config),
            target=RUN.search_target,
            settings=final_budget_settings(),
        priority: PLANNING
        threads: CORES  # a timing, taken alone
        localrule: True
        conda:
            "../envs/edgenas.yaml"
        log:
            "logs/budget_at_final.log",
        script:
            "../scripts/budget_at_final.py"

elif RUN.pruned_shape:

    # The pruned net's shape right after the search, for pruned_scratch
    rule pruned_shape:
        input:
            genotype=rules.search.output.genotype,
            stats=DATA["stats"],
        output:
            shape=RUN.pruned_shape,
        params:
            prune=pruned_shape_settings(config),
        priority: PLANNING
        localrule: True
        conda:
            "../envs/edgenas.yaml"
        log:
            "logs/pruned_shape.log",
        script:
            "../scripts/pruned_shape.py"


if RUN.final_budget:

    # The final INT8 model's latency on the search target: beside the planned budget, or the budget
    rule final_budget:
        input:
            model="results/models/int8.onnx",
            latency=RUN.at_final_table,
            **({"planned": RUN.planned_budget} if RUN.planned_budget else {}),
            **device_checks(),
        output:
            budget=RUN.final_budget,
        params:
            target=RUN.search_target,
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
            search=dict(search_settings(config), space=RUN.at_final_space or RUN.space),
            recipe=search_recipe(config),
            split=search_split(config),
            seed=config["seed"],
            hardware=HARDWARE,
            workdir="results/search/work_at_final",
        priority: LONG_JOBS + 1  # the at-final lane's other jobs wait for it
        threads: TRAIN_THREADS  # beside the searched net's training, from the start
        log:
            "logs/search_at_final.log",
        benchmark:
            "results/runtimes/search_at_final.tsv"
