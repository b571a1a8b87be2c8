rule export_onnx:
    input:
        model=lambda wc: f"results/models/{EXPORTS[wc.name]}",
        test=DATA["test"],
        stats=DATA["stats"],
    output:
        onnx="results/models/{name}.onnx",
    wildcard_constraints:
        name="|".join(EXPORTS),
    conda:
        "../envs/edgenas.yaml"
    log:
        "logs/export_onnx/{name}.log",
    script:
        "../scripts/export_onnx.py"


rule quantize:
    input:
        fp32="results/models/fp32.onnx",
        train=DATA["train"],
        stats=DATA["stats"],
    output:
        int8="results/models/int8.onnx",
    params:
        quantize=config["quantize"],
        calibration_size=config["data"]["calibration_size"],
        split=split_params(),
    conda:
        "../envs/edgenas.yaml"
    log:
        "logs/quantize.log",
    benchmark:
        "results/benchmarks/quantize.tsv"
    script:
        "../scripts/quantize.py"
