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
