"""Benchmark on a remote device over SSH (a Raspberry Pi 5, or any host with Python,
numpy and onnxruntime).

The OpenSSH client does the transport: key-based auth only (``BatchMode``), host-key
checking on, connect and run timeouts, retries for dropped connections. The device gets
the models, ``ondevice.py`` and a test sample in a fresh folder, which is removed after.
"""
from __future__ import annotations

import json
import shlex
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import ondevice
from .errors import UserFacingError

MIN_PYTHON = (3, 9)
INSTALL_HINT = "python3 -m pip install onnxruntime numpy"


class RemoteError(UserFacingError, RuntimeError):
    """Something on the way to or on the device failed; the message says what and where."""


@dataclass
class Target:
    """A device reachable over SSH, as declared under ``targets:`` in the config."""

    name: str
    host: str
    user: str | None = None
    port: int = 22
    python: str = "python3"
    remote_dir: str = "/tmp"
    threads: list[int] = field(default_factory=lambda: [1, 0])
    identity: str | None = None
    known_hosts: str | None = None
    connect_timeout: int = 10
    run_timeout: int = 1800
    retries: int = 2

    @property
    def where(self) -> str:
        return f"{self.user + '@' if self.user else ''}{self.host}:{self.port}"

    def ssh_options(self) -> list[str]:
        opts = ["-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
                "-o", f"ConnectTimeout={self.connect_timeout}", "-o", "ServerAliveInterval=15",
                "-o", "ServerAliveCountMax=4"]
        if self.identity:
            opts += ["-i", self.identity, "-o", "IdentitiesOnly=yes"]
        if self.known_hosts:
            opts += ["-o", f"UserKnownHostsFile={self.known_hosts}"]
        return opts

    @property
    def login(self) -> str:
        return f"{self.user}@{self.host}" if self.user else self.host


def _classify(target: Target, stderr: str) -> tuple[str, bool]:
    """(what went wrong, whether a retry may help) from OpenSSH's messages."""
    text = stderr.lower()
    if "host key verification failed" in text or "remote host identification has changed" in text:
        return (f"{target.where}: the host key is unknown or changed (host-key checking is on); check it, then "
                f"add it with: ssh-keyscan -p {target.port} {target.host} >> ~/.ssh/known_hosts"), False
    if "permission denied" in text:
        return (f"{target.where}: authentication refused; install your key with: "
                f"ssh-copy-id -p {target.port} {target.login}"), False
    if "could not resolve hostname" in text or "name or service not known" in text:
        return f"{target.where}: host name does not resolve", False
    if any(s in text for s in ("connection refused", "no route to host", "network is unreachable",
                               "connection timed out", "operation timed out")):
        return f"{target.where}: host unreachable ({stderr.strip().splitlines()[-1]})", True
    if any(s in text for s in ("connection reset", "broken pipe", "connection closed", "lost connection")):
        return f"{target.where}: connection dropped ({stderr.strip().splitlines()[-1]})", True
    return f"{target.where}: ssh failed: {stderr.strip()[-500:]}", True


def _run(target: Target, cmd: list[str], timeout: int) -> subprocess.CompletedProcess:
    """Run an ssh/scp command; retry dropped connections, raise RemoteError with the cause."""
    attempt = 0
    while True:
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as err:
            raise RemoteError(f"{target.where}: no answer within {timeout} s ({cmd[0]})") from err
        if proc.returncode != 255:  # 255 is OpenSSH's own failure; anything else came from the remote command
            return proc
        message, transient = _classify(target, proc.stderr)
        if not transient or attempt == target.retries:
            raise RemoteError(message)
        time.sleep(2 ** attempt)
        attempt += 1


def ssh(target: Target, *remote_argv: str, timeout: int | None = None) -> subprocess.CompletedProcess:
    """Run a command on the device; every argument is quoted for the remote shell."""
    command = " ".join(shlex.quote(a) for a in remote_argv)
    return _run(target, ["ssh", *target.ssh_options(), "-p", str(target.port), target.login, command],
                timeout or target.connect_timeout + 60)


def scp(target: Target, sources: list[str], dest: str, timeout: int | None = None) -> None:
    proc = _run(target, ["scp", "-q", *target.ssh_options(), "-P", str(target.port), *sources, dest],
                timeout or target.run_timeout)
    if proc.returncode != 0:
        raise RemoteError(f"{target.where}: copy failed: {proc.stderr.strip()[-500:]}")


PREFLIGHT = ("import json, sys\n"
             "r = {'python': list(sys.version_info[:3])}\n"
             "try:\n import numpy, onnxruntime\n r['onnxruntime'] = onnxruntime.__version__\n"
             "except Exception as e:\n r['missing'] = repr(e)\n"
             "print(json.dumps(r))")


def preflight(target: Target) -> dict:
    """Check the remote Python and onnxruntime before copying anything."""
    proc = ssh(target, target.python, "-c", PREFLIGHT)
    if proc.returncode != 0:
        raise RemoteError(f"{target.where}: cannot run {target.python!r} there: {proc.stderr.strip()[-300:]}")
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    if tuple(info["python"][:2]) < MIN_PYTHON:
        raise RemoteError(f"{target.where}: remote Python {'.'.join(map(str, info['python']))} is too old "
                          f"(needs {'.'.join(map(str, MIN_PYTHON))}+; set targets.{target.name}.python)")
    if "missing" in info:
        raise RemoteError(f"{target.where}: onnxruntime or numpy missing on the device ({info['missing']}); "
                          f"install them there with: {INSTALL_HINT}")
    return info


def run_on_device(target: Target, models: list[str], sample: str | None, warmup: int, runs: int,
                  peak_models: tuple[str, str] | None = None, flip_tta: list[str] = (), rounds: int = 1) -> dict:
    """Copy models, the device program and the sample; run it; fetch and return its result.
    Without a ``sample`` the device times the models on random inputs only (latency tables).
    ``peak_models`` (FP32 and INT8 matrix multiplies) also measure the device's peak MAC rates;
    the ``flip_tta`` models (of ``models``) are measured again with flip test-time augmentation;
    ``rounds`` timing passes over every model, each keeping its quietest (``ondevice.quietest_timings``)."""
    preflight(target)
    mk = ssh(target, "mktemp", "-d", f"{target.remote_dir.rstrip('/')}/edgenas.XXXXXX")
    if mk.returncode != 0:
        raise RemoteError(f"{target.where}: cannot make a folder under {target.remote_dir}: {mk.stderr.strip()}")
    workdir = mk.stdout.strip()
    try:
        scp(target, [ondevice.__file__, *([sample] if sample else []), *models, *(peak_models or ())],
            f"{target.login}:{workdir}/")
        argv = [target.python, f"{workdir}/ondevice.py", *[f"{workdir}/{Path(m).name}" for m in models],
                "--threads", *map(str, target.threads), "--warmup", str(warmup), "--runs", str(runs),
                "--rounds", str(rounds), "--out", f"{workdir}/result.json"]
        if sample:
            argv += ["--data", f"{workdir}/{Path(sample).name}"]
            if flip_tta:
                argv += ["--flip-tta", *[f"{workdir}/{Path(m).name}" for m in flip_tta]]
        if peak_models:
            argv += ["--peak", *[f"{workdir}/{Path(m).name}" for m in peak_models]]
        proc = ssh(target, *argv, timeout=target.run_timeout)
        if proc.returncode != 0:
            raise RemoteError(f"{target.where}: the benchmark failed on the device:\n{proc.stderr.strip()[-2000:]}")
        with tempfile.TemporaryDirectory() as tmp:
            scp(target, [f"{target.login}:{workdir}/result.json"], tmp)
            return json.loads((Path(tmp) / "result.json").read_text())
    finally:
        try:
            ssh(target, "rm", "-rf", workdir)
        except RemoteError:
            pass  # the run's own error matters more than a failed clean-up


def write_sample(path: str | Path, images: np.ndarray, labels: np.ndarray, mean, std) -> None:
    """The test images the device measures accuracy on, as one .npz (numpy is all it needs)."""
    with open(path, "wb") as f:
        np.savez(f, x=images, y=labels, mean=np.asarray(mean), std=np.asarray(std))
