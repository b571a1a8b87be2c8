"""Reading back the files the workflow wrote (JSON records, CSV tables), with errors that
name the file and the rule that rebuilds it instead of a parser's traceback."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .errors import UserFacingError


class DamagedFile(UserFacingError, ValueError):
    """A result file that cannot be read back; the message names it and how to rebuild it."""


def rebuild_hint(path: str | Path) -> str:
    return f"delete it or rebuild it with: snakemake {path} --forcerun"


def read_json(path: str | Path) -> Any:
    path = Path(path)
    try:
        return json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise DamagedFile(f"{path} is damaged (not valid JSON: {err}); {rebuild_hint(path)}") from err


def write_json(value: Any, path: str | Path) -> None:
    """Write atomically: a crash leaves the old file or none, never half of one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(value, indent=2))
    tmp.replace(path)


def read_csv(path: str | Path, **kwargs):
    import pandas as pd

    try:
        return pd.read_csv(path, **kwargs)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise DamagedFile(f"{path} is damaged (not a readable CSV: {err}); {rebuild_hint(path)}") from err


def pack_flags(flags) -> str:
    """One bit per image (right or wrong), base64: 10,000 test images in 1,668 characters, so an
    evaluation record keeps what a paired test between two models needs."""
    import base64

    import numpy as np

    return base64.b64encode(np.packbits(np.asarray(flags, dtype=bool)).tobytes()).decode("ascii")


def unpack_flags(text: str, count: int):
    """``pack_flags``'s bits back as a boolean array of ``count`` images."""
    import base64

    import numpy as np

    return np.unpackbits(np.frombuffer(base64.b64decode(text), dtype=np.uint8), count=count).astype(bool)
