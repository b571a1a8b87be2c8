"""The at-final lane's budget right after the search -> results/search/budget_at_final.json: the pruned
net's shape, untrained, quantized and timed whole on the search target as the latency table times nets."""
from edgenas.runlog import to_log

to_log(snakemake.log[0])

from edgenas.records import read_json, write_json  # noqa: E402
from edgenas.search.latency import planned_budget, read_latency_table, timer_for  # noqa: E402

s, target = snakemake.params.settings, snakemake.params.target
shape = read_json(snakemake.input.shape)
table = read_latency_table(snakemake.input.latency, shape["space"])
budget = planned_budget(shape["arch"], table, timer_for(target, s), quantize=s["quantize"], rounds=s["rounds"],
                        seed=s["seed"])
print(f"the pruned shape on {target}: {budget['planned_ms']:.4f} ms INT8 at {budget['threads']} thread(s) (the table "
      f"predicts {budget['predicted_ms']:.4f} ms); the second budget {budget['latency_ms']:.4f} ms"
      + (" (raised to the space's fastest 2 %)" if budget["raised"] else ""))
write_json(budget, snakemake.output.budget)
