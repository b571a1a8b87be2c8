rule prepare_data:
    output:
        **DATA,
    params:
        dataset=config["data"]["dataset"],
        root=config["data_root"],
        download=config["data"]["download"],
        image_size=config["data"]["image_size"],
    localrule: True
    conda:
        "../envs/edgenas.yaml"
    log:
        "logs/prepare_data.log",
    benchmark:
        "results/runtimes/prepare_data.tsv"
    script:
        "../scripts/prepare_data.py"


rule check_fit:
    input:
        stats=DATA["stats"],
    output:
        fit=FIT,
    params:
        split=train_split(),
        train=training_recipe(),
        finetune=finetune_recipe(),
        search=dict(search_settings(), recipe=search_recipe()),
    localrule: True
    conda:
        "../envs/edgenas.yaml"
    log:
        "logs/check_fit.log",
    script:
        "../scripts/check_fit.py"
