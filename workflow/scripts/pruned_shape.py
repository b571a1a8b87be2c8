"""The pruned net's shape right after the search -> results/search/pruned_shape.json: the searched net,
untrained, pruned with the prune: settings, as a net of the pruned-shape space (the at-final lane's)."""
from edgenas.runlog import to_log

to_log(snakemake.log[0])

from edgenas.compression.prune import planned_shape  # noqa: E402
from edgenas.records import read_json, write_json  # noqa: E402
from edgenas.search.genotype import read_search_result  # noqa: E402
from edgenas.search.spaces.pruned import PrunedShapes  # noqa: E402
from edgenas.settings import Prune  # noqa: E402

p = snakemake.params.prune
result = read_search_result(snakemake.input.genotype)
shapes = PrunedShapes(p["ratio"], p["round_to"])
# local pruning: the importance ranks channels, not how many each group keeps
settings = Prune(importance="l2", ratio=p["ratio"], global_pruning=False, round_to=p["round_to"], keep_layers=[])
stats = read_json(snakemake.input.stats)
arch = planned_shape(result.arch, shapes, image_size=stats["image_size"], num_classes=len(stats["classes"]),
                     settings=settings)
print(f"the searched net pruned by {p['ratio']:g}, rounded to {p['round_to']}: {arch}")
write_json({"space": shapes.name, "arch": arch, "searched": result.arch, **p}, snakemake.output.shape)
