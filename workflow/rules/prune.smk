rule prune:
    input:
        model=rules.train.output.model,
        stats=DATA["stats"],
    output:
        model="results/models/pruned.pt",
        summary="results/models/prune.json",
    params:
        prune=config["prune"],
    conda:
        "../envs/edgenas.yaml"
    log:
        "logs/prune.log",
    benchmark:
        "results/benchmarks/prune.tsv"
    script:
        "../scripts/prune.py"
