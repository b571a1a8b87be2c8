"""A remote device answers before anything long starts: SSH, its Python and onnxruntime, its CPU, room to work."""
from edgenas.runlog import to_log

to_log(snakemake.log[0])

from edgenas.remote import Target, check, describe  # noqa: E402
from edgenas.records import write_json  # noqa: E402

target = Target(name=snakemake.wildcards.target, **snakemake.params.device)
info = check(target)
print(describe(target, info))
write_json(info, snakemake.output.check)
