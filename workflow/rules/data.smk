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
