"""Fine-tune the pruned net -> finetuned.pt."""
from edgenas.runlog import to_log

to_log(snakemake.log[0])


from edgenas.accel import resolve, use_cpu_threads  # noqa: E402
from edgenas.compression.training_jobs import TrainingJob, finetune_pruned  # noqa: E402
from edgenas.records import read_json  # noqa: E402
from edgenas.settings import Recipe, Split  # noqa: E402

use_cpu_threads(snakemake.threads)
inp, p, out = snakemake.input, snakemake.params, snakemake.output
job = TrainingJob(train_npz=inp.train, stats=read_json(inp.stats), split=Split(**p.split),
                  hardware=resolve(**p.hardware), workdir=p.workdir, out_model=out.model, out_history=out.history)
finetune_pruned(job, Recipe(**p.recipe), pruned=inp.model, teacher=inp.teacher)
