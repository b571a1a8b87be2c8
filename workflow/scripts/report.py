"""The study's report: results/report/report.html and its Markdown twin report.md."""
from pathlib import Path

from edgenas.runlog import to_log

to_log(snakemake.log[0])

from edgenas.report import render  # noqa: E402

inp = snakemake.input
figures = {name: inp[name] for name in ("normal_cell", "reduce_cell", "arch_weights", "training_curves")}
figures.update({f"{Path(f).parent.name}/{Path(f).stem}": f for f in inp.target_figures})
settings = dict(snakemake.params.settings, calibration_size=snakemake.params.calibration_size)
render(list(inp.bench), inp.genotype, inp.prune, inp.stats, list(inp.evals), list(inp.run_times), settings,
       figures, snakemake.output.html, snakemake.output.markdown)
