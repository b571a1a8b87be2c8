"""Every fact the report, the paper and the slides state -> results/report/facts.json."""
from pathlib import Path

from edgenas.runlog import to_log

to_log(snakemake.log[0])

from edgenas.deliverables.facts import study_facts, write_facts  # noqa: E402
from edgenas.deliverables.study import Study  # noqa: E402
from edgenas.words import read_words  # noqa: E402

inp, p = snakemake.input, snakemake.params
search = [name for name in ("normal_cell", "reduce_cell", "arch_weights", "architecture", "population", "latency_check")
          if name in inp.keys()]
figures = {name: inp[name] for name in [*search, "training_curves"]}
figures.update({f"{Path(f).parent.name}/{Path(f).stem}": f for f in inp.target_figures})
study = Study.read(bench_csvs=list(inp.bench), search_result=inp.genotype, latency_table=inp.get("latency"),
                   prune_json=inp.prune, stats_json=inp.stats, settings=p.settings, figures=figures,
                   train_history=inp.train_history,
                   control_histories=dict(zip(p.controls, inp.control_histories)),
                   final_budget=inp.get("final_budget"), search_at_final=inp.get("search_at_final"),
                   evaluations={p.deployed[Path(f).stem]["model"] + "/" + p.deployed[Path(f).stem]["stage"]: f
                                for f in inp.evaluations})
write_facts(study_facts(study, lang=p.language, run_times=list(inp.run_times), front=dict(p.front),
                        words=read_words(inp.words)), snakemake.output.facts)
