rule evaluate:
    input:
        model="results/models/{model}",
        test=DATA["test"],
        stats=DATA["stats"],
    output:
        metrics="results/eval/{model}.json",
    params:
        split=split_params(),
    wildcard_constraints:
        model=r"[a-z0-9_]+\.(pt|onnx)",
    conda:
        "../envs/edgenas.yaml"
    log:
        "logs/evaluate/{model}.log",
    script:
        "../scripts/evaluate.py"
