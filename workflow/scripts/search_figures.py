"""The searched architecture's figures (DARTS: both cells and the architecture weights; dense, mobile: the net,
the evolution's population and the latency table's check)."""
from edgenas.runlog import to_log

to_log(snakemake.log[0])

from edgenas.deliverables.figures import search_figures  # noqa: E402
from edgenas.search.genotype import read_search_result  # noqa: E402
from edgenas.words import read_words  # noqa: E402

search_figures(read_search_result(snakemake.input.genotype), dict(snakemake.output.items()),
               read_words(snakemake.input.words), latency_table=snakemake.input.get("latency"))
