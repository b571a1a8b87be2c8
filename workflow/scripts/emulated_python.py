"""An emulated Python with this machine's onnxruntime (QEMU: an Arm core, or an x86 without VNNI) -> resources/emulator/<cpu>/python."""
from pathlib import Path

from edgenas.runlog import to_log

to_log(snakemake.log[0])

from edgenas.measurement.emulator import build  # noqa: E402

wrapper = Path(snakemake.output.python)
print(build(wrapper.parent.parent, snakemake.wildcards.cpu))
