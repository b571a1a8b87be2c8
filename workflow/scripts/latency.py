"""A target's latency table of the searched hardware-aware space -> results/latency/<target>.json (here, or on a device over SSH)."""
from edgenas.runlog import to_log

to_log(snakemake.log[0])

from edgenas.records import read_json  # noqa: E402
from edgenas.search.latency import build_table, device_timer, local_timer  # noqa: E402

s, target = dict(snakemake.params.settings), snakemake.params.target
stats = read_json(snakemake.input.stats)
timing = dict(threads=s["threads"], warmup=s["warmup"], runs=s["runs"])
timer = local_timer(**timing) if target == "local" else device_timer(target, s["device"], **timing)
table = build_table(target, timer, threads=s["threads"], image_size=stats["image_size"],
                    num_classes=len(stats["classes"]), quantize=s["quantize"], calibration_nets=s["calibration_nets"],
                    validation_nets=s["validation_nets"], seed=s["seed"], rounds=s["rounds"],
                    space=s["space"])
for fmt in ("fp32", "int8"):
    print(f"{fmt}: validation nets {table.checks[fmt]}")
table.write(snakemake.output.table)
