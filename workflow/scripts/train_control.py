"""Train one control (controls.models: a random net of the searched space, a hand-designed net, the net searched at
the final model's latency, or the pruned architecture from scratch) -> control_<name>.pt."""
from edgenas.runlog import to_log

to_log(snakemake.log[0])


from edgenas.accel import resolve, use_cpu_threads  # noqa: E402
from edgenas.compression.training_jobs import TrainingJob, train_control  # noqa: E402
from edgenas.records import read_json  # noqa: E402
from edgenas.settings import Recipe, Split  # noqa: E402

use_cpu_threads(snakemake.threads)
inp, p, out = snakemake.input, snakemake.params, snakemake.output
job = TrainingJob(train_npz=inp.train, stats=read_json(inp.stats), split=Split(**p.split),
                  hardware=resolve(**p.hardware), workdir=p.workdir, out_model=out.model, out_history=out.history)
train_control(job, Recipe(**p.recipe), name=snakemake.wildcards.control, darts_net=p.darts_net, space=p.space,
              latency_table=inp.get("latency"), budget=inp.get("budget"), search_result=inp.get("genotype"),
              pruned=inp.get("pruned"), pruned_shape=inp.get("shape"))
