"""Send a stage's stdout and stderr (Python's and native libraries') to its log file, and tell
errors the user can fix in one paragraph instead of a traceback."""
from __future__ import annotations

import os
import sys


def to_log(path: str) -> None:
    """Redirect file descriptors 1 and 2, so progress bars and C++ warnings land in the log too."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    sys.stdout = os.fdopen(1, "w", buffering=1, closefd=False)
    sys.stderr = os.fdopen(2, "w", buffering=1, closefd=False)
    sys.excepthook = _tell


def _tell(kind, error, traceback) -> None:
    from .errors import UserFacingError

    if isinstance(error, UserFacingError):
        print(f"\nedgenas: {error}", file=sys.stderr)
    else:
        sys.__excepthook__(kind, error, traceback)


def duration(seconds: float) -> str:
    """'45 s', '12 min', '1 h 05 min': a time left as a person reads it in a log."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"
