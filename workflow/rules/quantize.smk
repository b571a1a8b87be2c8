rule export_onnx:
    input:
        model=export_source,
        test=DATA["test"],
    output:
        onnx="results/models/{name}.onnx",
    wildcard_constraints:
        name="|".join(n.removesuffix(".onnx") for n in EXPORTS),
    localrule: True
    conda:
        "../envs/edgenas.yaml"
    log:
        "logs/export_onnx/{name}.log",
    script:
        "../scripts/export_onnx.py"


rule quantize:
    input:
        fp32=quantize_source,
        train=DATA["train"],
        stats=DATA["stats"],
    output:
        int8="results/models/{name}.onnx",
    params:
        quantize=asdict(Quantize.from_config(config)),
        calibration_size=config["data"]["calibration_size"],
        split=TRAIN_SPLIT,
    wildcard_constraints:
        name="|".join(n.removesuffix(".onnx") for n in QUANTIZED),
    localrule: True
    conda:
        "../envs/edgenas.yaml"
    log:
        "logs/quantize/{name}.log",
    benchmark:
        "results/runtimes/quantize/{name}.tsv"
    script:
        "../scripts/quantize.py"
