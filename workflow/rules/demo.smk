# The demo video in each of report.language's languages (see report.smk)
for ROOT, LANG, LOGS, SUFFIX in RUN.deliverables:
    rule:
        name: RUN.named("demo", LANG)
        input:
            **demo_inputs(LANG),
        output:
            video=report(
                f"{ROOT}/demo/demo.mp4",
                caption="../../report/demo.rst",
                category=f"Demo{SUFFIX}",
                labels={"demo": "int8 on test images"},
            ),
            summary=report(
                f"{ROOT}/demo/summary.json",
                caption="../../report/demo_summary.rst",
                category=f"Demo{SUFFIX}",
                labels={"demo": "summary"},
            ),
        params:
            demo=asdict(Demo.from_config(config)),
            test=TEST_SUBSET,
        threads: CORES
        localrule: True
        conda:
            "../envs/edgenas.yaml"
        log:
            f"logs/{LOGS}demo.log",
        script:
            "../scripts/demo.py"
