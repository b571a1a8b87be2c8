rule finetune:
    input:
        model=rules.prune.output.model,
        teacher=rules.train.output.model,
        train=DATA["train"],
        test=DATA["test"],
        stats=DATA["stats"],
    output:
        model="results/models/finetuned.pt",
        history="results/models/finetuned_history.csv",
    params:
        recipe=config["finetune"],
        base_recipe=config["train"],
        split=split_params(),
        hardware=HARDWARE,
        workdir="results/checkpoints/finetune",
    threads: workflow.cores
    resources:
        gpu=GPU,
    conda:
        "../envs/edgenas.yaml"
    log:
        "logs/finetune.log",
    benchmark:
        "results/benchmarks/finetune.tsv"
    script:
        "../scripts/finetune.py"
