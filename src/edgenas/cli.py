"""The ``edgenas`` command: the tools beside the workflow (the workflow itself runs through snakemake).
Each command is a module's ``main``; ``edgenas COMMAND --help`` shows its options and defaults."""
from __future__ import annotations

import importlib
import sys
from importlib import metadata

# command -> (module whose main(argv) runs it, what it does)
COMMANDS = {
    "summary": ("deliverables.summary", "print a finished run's summary: the final model, the verdicts, where the results are"),
    "check-target": ("remote", "check a device before a long run: SSH, its Python and onnxruntime, CPU, free space"),
    "demo": ("device.demo", "real-time classification with an .onnx model on a camera, a video or a folder of images"),
    "emulated-python": ("measurement.emulator", "build an emulated Python with ONNX Runtime: an Arm core or an x86 without VNNI"),
    "typeset": ("deliverables.publish", "rebuild an edited paper or slides folder into its PDF"),
}


def usage() -> str:
    width = max(map(len, COMMANDS))
    return ("usage: edgenas [--help] [--version] COMMAND [ARGS]\n\n"
            "From a NAS result to a compressed INT8 model on an edge device; the workflow runs through\n"
            "snakemake (snakemake --cores all). The commands beside it:\n\n"
            + "\n".join(f"  {name:<{width}}  {what}" for name, (_, what) in COMMANDS.items())
            + "\n\nedgenas COMMAND --help shows a command's options.")


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(usage())
        return 0
    if argv[0] == "--version":
        print(f"edgenas {metadata.version('edgenas')}")
        return 0
    if argv[0] not in COMMANDS:
        print(f"edgenas: unknown command {argv[0]!r} (the commands: {', '.join(COMMANDS)}; edgenas --help)",
              file=sys.stderr)
        return 2
    module = importlib.import_module(f"edgenas.{COMMANDS[argv[0]][0]}")
    return module.main(argv[1:])


if __name__ == "__main__":
    sys.exit(main())
