"""Crash recovery for long stages: resume from a checkpoint only if it belongs to the same run.

A stage keeps ``last.ckpt`` in a work folder that Snakemake does not delete on failure.
The settings the stage was started with are stored beside it; a rerun with other settings
(or after the stage finished) starts afresh instead of picking up a stale checkpoint.
"""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any


def fingerprint(settings: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()


def checkpoint_to_resume(workdir: Path, settings: dict[str, Any]) -> Path | None:
    """``workdir/last.ckpt`` when it was written with these settings; else an emptied ``workdir``."""
    stamp, last = workdir / "settings.sha256", workdir / "last.ckpt"
    if last.exists() and stamp.exists() and stamp.read_text() == fingerprint(settings):
        return last
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    stamp.write_text(fingerprint(settings))
    return None


def finished(workdir: Path) -> None:
    """The stage's outputs are written: its crash-recovery state is no longer needed."""
    shutil.rmtree(workdir, ignore_errors=True)
