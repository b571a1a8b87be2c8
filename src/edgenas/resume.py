"""Crash recovery for long stages: resume from a checkpoint only if it belongs to the same run.

A stage keeps ``last.ckpt`` in a work folder that Snakemake does not delete on failure.
The settings the stage was started with are stored beside it; a rerun with other settings
(or after the stage finished) starts afresh instead of picking up a stale checkpoint.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def fingerprint(settings: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()


def readable(checkpoint: Path) -> bool:
    """Whether a checkpoint loads (one cut short by a killed job does not)."""
    import torch

    try:
        torch.load(checkpoint, map_location="cpu", weights_only=True)
        return True
    except Exception:  # noqa: BLE001 (truncated zip, unpickling error, ...: all mean "damaged")
        return False


def checkpoint_to_resume(workdir: Path, settings: dict[str, Any]) -> Path | None:
    """``workdir/last.ckpt`` when it was written with these settings; else an emptied ``workdir``.

    A damaged checkpoint is set aside (renamed, with its folder, never deleted) and the stage
    starts afresh, saying so, instead of failing on every rerun."""
    stamp, last = workdir / "settings.sha256", workdir / "last.ckpt"
    if last.exists() and stamp.exists() and stamp.read_text() == fingerprint(settings):
        if readable(last):
            return last
        aside = workdir.with_name(f"{workdir.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
        workdir.rename(aside)
        print(f"{last} is damaged (cut short?): set aside as {aside / last.name}; starting this stage afresh",
              flush=True)
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    stamp.write_text(fingerprint(settings))
    return None


def finished(workdir: Path) -> None:
    """The stage's outputs are written: its crash-recovery state is no longer needed."""
    shutil.rmtree(workdir, ignore_errors=True)


@contextmanager
def sigterm_fails(workdir: Path) -> Iterator[None]:
    """Lightning ends a run that got SIGTERM (``scancel``, preemption, a stopped workflow) with
    ``SystemExit`` and exit status 0, which Snakemake reads as a job that succeeded without its
    outputs. Exit with status 1 instead, saying where the checkpoint of the rerun lies."""
    from pytorch_lightning.utilities.exceptions import SIGTERMException

    try:
        yield
    except SIGTERMException:
        raise SystemExit(f"stopped by SIGTERM; a rerun resumes from the last checkpoint in {workdir}") from None
