"""The searched cells as graphviz diagrams, and the architecture weights over the search."""
from edgenas.runlog import to_log

to_log(snakemake.log[0])

from edgenas import figures  # noqa: E402
from edgenas.search import read_genotype  # noqa: E402

record = read_genotype(snakemake.input.genotype)
figures.cell_diagram(record["arch"], "normal", snakemake.output.normal_cell)
figures.cell_diagram(record["arch"], "reduce", snakemake.output.reduce_cell)
figures.arch_weights(record, snakemake.output.arch_weights)
