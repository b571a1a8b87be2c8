"""The final INT8 model's latency on the search target -> results/search/final_budget.json: the budget of
the controls that ask what compression added beyond a smaller architecture."""
from edgenas.runlog import to_log

to_log(snakemake.log[0])

from edgenas.records import write_json  # noqa: E402
from edgenas.search.latency import (  # noqa: E402
         device_timer,
         local_timer,
         measured_budget,
         read_latency_table,
)

s = snakemake.params.settings
target = snakemake.params.target
timer = (local_timer(s["threads"], s["warmup"], s["runs"]) if target == "local"
         else device_timer(target, s["device"], s["threads"], s["warmup"], s["runs"]))
budget = measured_budget(snakemake.input.model, timer, read_latency_table(snakemake.input.latency), rounds=s["rounds"])
print(f"the final model on {target}: {budget['measured_ms']:.4f} ms INT8 at {budget['threads']} thread(s); the second "
      f"budget {budget['latency_ms']:.4f} ms" + (" (raised to the space's fastest 2 %)" if budget["raised"] else ""))
write_json(budget, snakemake.output.budget)
