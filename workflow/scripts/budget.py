"""The search's INT8 latency budget on its target's latency table -> results/search/budget.json."""
from edgenas.runlog import to_log

to_log(snakemake.log[0])

from edgenas.search.latency import read_latency_table, resolve_budget  # noqa: E402

p = snakemake.params
budget = resolve_budget(read_latency_table(snakemake.input.latency), p.latency_ms, p.latency_quantile)
print(f"budget on {budget.target}: {budget.latency_ms:.4f} ms INT8 at {budget.threads} thread(s)"
      + (f", the fastest {100 * budget.quantile:g} % of the space" if budget.quantile else ""))
budget.write(snakemake.output.budget)
