"""The study's report (report.html, report.md), paper and slides (paper.pdf, slides.pdf)."""
from pathlib import Path

from edgenas.runlog import to_log

to_log(snakemake.log[0])

from edgenas.publish import publish  # noqa: E402
from edgenas.report import render  # noqa: E402
from edgenas.study import Study  # noqa: E402

inp, out, p = snakemake.input, snakemake.output, snakemake.params
search = [name for name in ("normal_cell", "reduce_cell", "arch_weights", "architecture", "population", "latency_check")
          if name in inp.keys()]
figures = {name: inp[name] for name in [*search, "training_curves"]}
figures.update({f"{Path(f).parent.name}/{Path(f).stem}": f for f in inp.target_figures})
study = Study.read(bench_csvs=list(inp.bench), search_result=inp.genotype, latency_table=inp.get("latency"),
                   prune_json=inp.prune, stats_json=inp.stats, settings=p.settings, figures=figures)
render(study, run_times=list(inp.run_times), html_path=out.html, md_path=out.markdown)
publish(study, lang=p.language, paper_pdf=out.paper, slides_pdf=out.slides)
