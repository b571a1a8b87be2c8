rule train_control:
    input:
        train=DATA["train"],
        test=DATA["test"],
        stats=DATA["stats"],
    output:
        model="results/models/control_{control}.pt",
        history="results/models/control_{control}_history.csv",
    params:
        recipe=config["train"],
        split=split_params(),
        hardware=HARDWARE,
        workdir=lambda wc: f"results/checkpoints/control_{wc.control}",
    wildcard_constraints:
        control="|".join(CONTROLS) or "(?!)",
    threads: workflow.cores
    resources:
        gpu=GPU,
    conda:
        "../envs/edgenas.yaml"
    log:
        "logs/train_control/{control}.log",
    benchmark:
        "results/benchmarks/train_control/{control}.tsv"
    script:
        "../scripts/train_control.py"
