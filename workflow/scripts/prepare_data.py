"""Decode the data set once into resources/data/*.npz."""
from edgenas.runlog import to_log

to_log(snakemake.log[0])

from edgenas.data import describe_source, load_dataset  # noqa: E402
from edgenas.records import write_json  # noqa: E402

p = snakemake.params
splits = load_dataset(p.dataset, p.root, p.image_size, download=p.download)
for name, arrays in splits.items():
    arrays.save(snakemake.output[name])
    print(f"{name}: {arrays.x.shape} images, {len(arrays.classes)} classes")
mean, std = splits["train"].mean, splits["train"].std
write_json({"mean": mean, "std": std, "classes": splits["train"].classes, "image_size": p.image_size,
            "images": {name: len(a.y) for name, a in splits.items()}, "source": describe_source(p.dataset, p.root)},
           snakemake.output.stats)
