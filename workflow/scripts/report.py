"""The study's report: results/report/report.html and its Markdown twin report.md."""
from pathlib import Path

from edgenas.runlog import to_log

to_log(snakemake.log[0])

from edgenas.report import render  # noqa: E402

inp, out = snakemake.input, snakemake.output
search = [name for name in ("normal_cell", "reduce_cell", "arch_weights", "architecture", "population", "latency_check")
          if name in inp.keys()]
figures = {name: inp[name] for name in [*search, "training_curves"]}
figures.update({f"{Path(f).parent.name}/{Path(f).stem}": f for f in inp.target_figures})
render(bench_csvs=list(inp.bench), search_result=inp.genotype, latency_table=inp.get("latency"), prune_json=inp.prune,
       stats_json=inp.stats, run_times=list(inp.run_times), settings=snakemake.params.settings, figures=figures,
       html_path=out.html, md_path=out.markdown)
