rule demo:
    input:
        unpack(demo_inputs),
    output:
        video=report(
            "results/demo/demo.mp4",
            caption="../../report/demo.rst",
            category="Demo",
            labels={"demo": "int8 on test images"},
        ),
        summary=report(
            "results/demo/summary.json",
            caption="../../report/demo_summary.rst",
            category="Demo",
            labels={"demo": "summary"},
        ),
    params:
        demo=asdict(Demo.from_config(config)),
        test=test_subset(),
    threads: CORES
    localrule: True
    conda:
        "../envs/edgenas.yaml"
    log:
        "logs/demo.log",
    script:
        "../scripts/demo.py"
