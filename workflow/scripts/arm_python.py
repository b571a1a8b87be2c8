"""An emulated ARM64 Python (QEMU, Debian's arm64 CPython, this machine's onnxruntime) -> resources/emulator/<cpu>/python."""
from pathlib import Path

from edgenas.runlog import to_log

to_log(snakemake.log[0])

from edgenas.emulator import build  # noqa: E402

wrapper = Path(snakemake.output.python)
print(build(wrapper.parent.parent, snakemake.wildcards.cpu))
