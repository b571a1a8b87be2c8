rule finetune:
    input:
        model=rules.prune.output.model,
        teacher=rules.train.output.model,
        train=DATA["train"],
        stats=DATA["stats"],
    output:
        model="results/models/finetuned.pt",
        history="results/models/finetuned_history.csv",
    params:
        recipe=FINETUNE_RECIPE,
        split=TRAIN_SPLIT,
        hardware=HARDWARE,
        workdir="results/checkpoints/finetune",
    threads: TRAIN_THREADS
    priority: CRITICAL_PATH
    resources:
        gpu=GPU,
    conda:
        "../envs/edgenas.yaml"
    log:
        "logs/finetune.log",
    benchmark:
        "results/runtimes/finetune.tsv"
    script:
        "../scripts/finetune.py"
