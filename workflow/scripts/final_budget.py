"""The final INT8 model's latency on the search target -> results/search/final_budget.json: beside the
planned budget of the at-final lane (how close the plan landed), or, without a plan, the lane's budget."""
from edgenas.runlog import to_log

to_log(snakemake.log[0])

from edgenas.records import read_json, write_json  # noqa: E402
from edgenas.search.latency import measured_budget, read_latency_table, timer_for  # noqa: E402

s, target = snakemake.params.settings, snakemake.params.target
planned = read_json(snakemake.input.planned) if "planned" in snakemake.input.keys() else None
budget = measured_budget(snakemake.input.model, timer_for(target, s), read_latency_table(snakemake.input.latency),
                         rounds=s["rounds"], planned=planned)
if planned:
    print(f"the final model on {target}: {budget['measured_ms']:.4f} ms INT8; planned {budget['planned_ms']:.4f} ms "
          f"({budget['measured_over_planned']:.2f}x the plan)")
else:
    print(f"the final model on {target}: {budget['measured_ms']:.4f} ms INT8 at {budget['threads']} thread(s); the "
          f"second budget {budget['latency_ms']:.4f} ms" + (" (raised to the space's fastest 2 %)" if budget["raised"] else ""))
write_json(budget, snakemake.output.budget)
