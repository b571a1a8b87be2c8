rule train_control:
    input:
        unpack(control_inputs),
    output:
        model="results/models/control_{control}.pt",
        history="results/models/control_{control}_history.csv",
    params:
        recipe=TRAINING_RECIPE,
        darts_net=darts_net(config),
        space=control_space,
        split=TRAIN_SPLIT,
        hardware=HARDWARE,
        workdir=control_workdir,
    wildcard_constraints:
        control="|".join(RUN.controls) or "(?!)",
    threads: TRAIN_THREADS
    priority: LONG_JOBS
    resources:
        gpu=GPU,
    conda:
        "../envs/edgenas.yaml"
    log:
        "logs/train_control/{control}.log",
    benchmark:
        "results/runtimes/train_control/{control}.tsv"
    script:
        "../scripts/train_control.py"
