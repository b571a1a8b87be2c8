"""The at-final lane's plan right after the search -> results/search/pruned_shape.json (the searched net,
untrained, pruned with the prune: settings) and results/search/budget_at_final.json (that shape quantized
and timed whole on the search target as the latency table times nets: the lane's budget)."""
from edgenas.runlog import to_log

to_log(snakemake.log[0])

from edgenas.compression.prune import pruned_shape_record  # noqa: E402
from edgenas.records import read_json, write_json  # noqa: E402
from edgenas.search.latency import planned_budget, read_latency_table, timer_for  # noqa: E402

s, target = snakemake.params.settings, snakemake.params.target
shape = pruned_shape_record(snakemake.input.genotype, read_json(snakemake.input.stats), **snakemake.params.prune)
print(f"the searched net pruned by {shape['ratio']:g}, rounded to {shape['round_to']}: {shape['arch']}")
write_json(shape, snakemake.output.shape)
table = read_latency_table(snakemake.input.latency, shape["space"])
budget = planned_budget(shape["arch"], table, timer_for(target, s), quantize=s["quantize"], rounds=s["rounds"],
                        seed=s["seed"])
print(f"the pruned shape on {target}: {budget['planned_ms']:.4f} ms INT8 at {budget['threads']} thread(s) (the table "
      f"predicts {budget['predicted_ms']:.4f} ms); the second budget {budget['latency_ms']:.4f} ms"
      + (" (raised to the space's fastest 2 %)" if budget["raised"] else ""))
write_json(budget, snakemake.output.budget)
