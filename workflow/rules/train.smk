rule train:
    input:
        genotype=rules.search.output.genotype,
        train=DATA["train"],
        test=DATA["test"],
        stats=DATA["stats"],
    output:
        model="results/models/baseline.pt",
        history="results/models/baseline_history.csv",
    params:
        recipe=config["train"],
        split=split_params(),
        hardware=HARDWARE,
        workdir="results/checkpoints/train",
    threads: workflow.cores
    resources:
        gpu=GPU,
    conda:
        "../envs/edgenas.yaml"
    log:
        "logs/train.log",
    benchmark:
        "results/benchmarks/train.tsv"
    script:
        "../scripts/train.py"
