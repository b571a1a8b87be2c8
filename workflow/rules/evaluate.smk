rule evaluate:
    input:
        model="results/models/{model}",
        test=DATA["test"],
        stats=DATA["stats"],
    output:
        metrics="results/eval/{model}.json",
    params:
        test=TEST_SUBSET,
    wildcard_constraints:
        model=r"[a-z0-9_]+\.(pt|onnx)",
    localrule: True
    conda:
        "../envs/edgenas.yaml"
    log:
        "logs/evaluate/{model}.log",
    script:
        "../scripts/evaluate.py"
