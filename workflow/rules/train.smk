rule train:
    input:
        genotype=rules.search.output.genotype,
        train=DATA["train"],
        stats=DATA["stats"],
        fit=ancient(FIT),
        **device_checks(),
    output:
        model="results/models/baseline.pt",
        history="results/models/baseline_history.csv",
    params:
        recipe=TRAINING_RECIPE,
        darts_net=darts_net(config),
        split=TRAIN_SPLIT,
        hardware=HARDWARE,
        workdir="results/checkpoints/train",
    threads: TRAIN_THREADS
    priority: CRITICAL_PATH
    resources:
        gpu=GPU,
    conda:
        "../envs/edgenas.yaml"
    log:
        "logs/train.log",
    benchmark:
        "results/runtimes/train.tsv"
    script:
        "../scripts/train.py"
