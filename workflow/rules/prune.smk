rule prune:
    input:
        model=rules.train.output.model,
        train=DATA["train"],
    output:
        model="results/models/pruned.pt",
        summary="results/models/prune.json",
    params:
        prune=asdict(Prune.from_config(config)),
        split=TRAIN_SPLIT,
    localrule: True
    priority: CRITICAL_PATH
    conda:
        "../envs/edgenas.yaml"
    log:
        "logs/prune.log",
    benchmark:
        "results/runtimes/prune.tsv"
    script:
        "../scripts/prune.py"
