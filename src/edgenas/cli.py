"""The ``edgenas`` command: ``edgenas demo ...``, ``edgenas emulated-python ...`` and ``edgenas typeset ...`` (the workflow
itself runs through snakemake)."""
from __future__ import annotations

import sys

COMMANDS = {"demo": "real-time classification demo of an .onnx model (edgenas demo --help)",
            "emulated-python": "build an emulated Python with ONNX Runtime: an Arm core or an x86 without VNNI "
                               "(edgenas emulated-python --help)",
            "typeset": "rebuild an edited paper or slides folder into its PDF (edgenas typeset --help)"}


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS:
        print("usage: edgenas COMMAND [ARGS]\n\ncommands:\n" + "\n".join(f"  {k}  {v}" for k, v in COMMANDS.items()),
              file=sys.stderr)
        return 2
    if argv[0] == "typeset":
        from . import publish

        return publish.main(argv[1:])
    if argv[0] == "emulated-python":
        from . import emulator

        return emulator.main(argv[1:])
    from . import demo

    return demo.main(argv[1:])


if __name__ == "__main__":
    sys.exit(main())
