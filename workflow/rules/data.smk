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


# No params on purpose: a changed setting is checked when the workflow is parsed (common.smk), and
# a rerun of this job would mask its dependents' own reasons to rerun (they take it as ancient()).
rule check_fit:
    input:
        stats=DATA["stats"],
    output:
        fit=FIT,
    localrule: True
    conda:
        "../envs/edgenas.yaml"
    log:
        "logs/check_fit.log",
    script:
        "../scripts/check_fit.py"
