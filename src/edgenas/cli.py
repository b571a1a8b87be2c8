"""The ``edgenas`` command: ``edgenas demo ...`` (the workflow itself runs through snakemake)."""
from __future__ import annotations

import sys


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    commands = {"demo": "real-time classification demo of an .onnx model (edgenas demo --help)"}
    if not argv or argv[0] not in commands:
        print("usage: edgenas COMMAND [ARGS]\n\ncommands:\n" + "\n".join(f"  {k}  {v}" for k, v in commands.items()),
              file=sys.stderr)
        return 2
    from . import demo

    return demo.main(argv[1:])


if __name__ == "__main__":
    sys.exit(main())
