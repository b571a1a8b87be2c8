"""The HTML results report."""
from edgenas.runlog import to_log

to_log(snakemake.log[0])

from edgenas.report import render  # noqa: E402

inp = snakemake.input
render(list(inp.bench), inp.genotype, inp.prune, list(inp.figures), snakemake.output.html)
