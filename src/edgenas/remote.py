"""Benchmark on a remote device over SSH (a Raspberry Pi 5, or any host with Python,
numpy and onnxruntime).

The OpenSSH client does the transport: key-based auth only (``BatchMode``), host-key
checking on, connect and run timeouts, retries for dropped connections. The device gets
the models, ``ondevice.py`` and a test sample in a fresh folder, which is removed after.
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np

from .device import ondevice
from .errors import UserFacingError

MIN_PYTHON = (3, 9)


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
        return (f"{target.where}: host name does not resolve: check targets.{target.name}.host (a Pi on this "
                f"network answers to <its hostname>.local, or use its IP address from your router)"), False
    if "connection refused" in text:
        return (f"{target.where}: host unreachable (connection refused): the device answers but no SSH server "
                f"listens on port {target.port}: start it "
                "(on the device: sudo systemctl enable --now ssh; or enable SSH in Raspberry Pi Imager)"), True
    if any(s in text for s in ("no route to host", "network is unreachable", "connection timed out",
                               "operation timed out")):
        return (f"{target.where}: host unreachable ({stderr.strip().splitlines()[-1]}): is the device on, and on "
                f"this network? (ping {target.host})"), True
    if any(s in text for s in ("connection reset", "broken pipe", "connection closed", "lost connection")):
        return f"{target.where}: connection dropped ({stderr.strip().splitlines()[-1]})", True
    return f"{target.where}: ssh failed: {stderr.strip()[-500:]}", True


def _run(target: Target, cmd: list[str], timeout: int, stdin: str | None = None) -> subprocess.CompletedProcess:
    """Run an ssh/scp command (``stdin``: text fed to it); retry dropped connections, raise
    RemoteError with the cause."""
    attempt = 0
    while True:
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                                  **({"input": stdin} if stdin is not None else {"stdin": subprocess.DEVNULL}))
        except subprocess.TimeoutExpired as err:
            raise RemoteError(f"{target.where}: no answer within {timeout} s ({cmd[0]})") from err
        if proc.returncode != 255:  # 255 is OpenSSH's own failure; anything else came from the remote command
            return proc
        message, transient = _classify(target, proc.stderr)
        if not transient or attempt == target.retries:
            raise RemoteError(message)
        time.sleep(2 ** attempt)
        attempt += 1


def ssh(target: Target, *remote_argv: str, timeout: int | None = None, stdin: str | None = None
        ) -> subprocess.CompletedProcess:
    """Run a command on the device; every argument is quoted for the remote shell."""
    command = " ".join(shlex.quote(a) for a in remote_argv)
    return _run(target, ["ssh", *target.ssh_options(), "-p", str(target.port), target.login, command],
                timeout or target.connect_timeout + 60, stdin)


def scp(target: Target, sources: list[str], dest: str, timeout: int | None = None) -> None:
    proc = _run(target, ["scp", "-q", *target.ssh_options(), "-P", str(target.port), *sources, dest],
                timeout or target.run_timeout)
    if proc.returncode != 0:
        raise RemoteError(f"{target.where}: copy failed: {proc.stderr.strip()[-500:]}")


MIN_FREE_MB = 200  # the deployed models, the sample and the device program, with room to spare


def install_hint(target: Target) -> str:
    """How to give the device what the benchmark needs: a virtual environment (Raspberry Pi OS
    Bookworm's system Python refuses pip outside one) and the config key that points at it."""
    return (f"on the device: python3 -m venv ~/edgenas && ~/edgenas/bin/pip install onnxruntime numpy; then set "
            f"targets.{target.name}.python to that venv's python (/home/<user>/edgenas/bin/python)")


# Run by the device's Python from stdin: the device program (``ondevice.py``) loaded as a module,
# which imports numpy and onnxruntime and reads the CPU, and what the benchmark needs of the folder.
CHECK = """
import json, os, shutil, sys, types
r = {"version": list(sys.version_info[:3]), "executable": sys.executable}
try:
    ondevice = types.ModuleType("ondevice")
    exec(compile(SOURCE, "ondevice.py", "exec"), ondevice.__dict__)
    r.update(ondevice.system_info())
except Exception as e:
    r["missing"] = repr(e)
r["remote_dir"] = {"exists": os.path.isdir(REMOTE_DIR), "writable": os.access(REMOTE_DIR, os.W_OK)}
if r["remote_dir"]["exists"]:
    r["remote_dir"]["free_mb"] = shutil.disk_usage(REMOTE_DIR).free / 1e6
print(json.dumps(r))
"""


PLACEHOLDER_USER = "<your user>"  # config/targets/pi5.yaml's user until the student sets one


def check(target: Target) -> dict:
    """Everything the benchmark needs of the device, in seconds, before anything is trained: a user
    set, SSH reachable, host key known, key login (``_run`` names each), the Python and its version,
    numpy and onnxruntime importable, the CPU and its ISA, room in ``remote_dir``, and a file copied
    there and back as the benchmark copies (scp, which OpenSSH 9 runs over SFTP). Raises RemoteError
    naming the cause and the command that fixes it; returns what it found."""
    if target.user == PLACEHOLDER_USER or PLACEHOLDER_USER in (target.python or ""):
        raise RemoteError(f"targets.{target.name}: user (and the user's folder in python) is still the "
                          f"placeholder {PLACEHOLDER_USER!r}: set it to the name you chose in Raspberry Pi Imager, in "
                          f"config/targets/{target.name}.yaml")
    script = f"SOURCE = {Path(ondevice.__file__).read_text()!r}\nREMOTE_DIR = {target.remote_dir!r}\n{CHECK}"
    proc = ssh(target, target.python, "-", stdin=script)
    if proc.returncode != 0:
        raise RemoteError(f"{target.where}: cannot run {target.python!r} there (set targets.{target.name}.python): "
                          f"{proc.stderr.strip()[-300:]}")
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    if tuple(info["version"][:2]) < MIN_PYTHON:
        raise RemoteError(f"{target.where}: remote Python {'.'.join(map(str, info['version']))} is too old "
                          f"(needs {'.'.join(map(str, MIN_PYTHON))}+; set targets.{target.name}.python)")
    if "missing" in info:
        raise RemoteError(f"{target.where}: onnxruntime or numpy missing for {target.python} ({info['missing']}); "
                          f"{install_hint(target)}")
    folder = info["remote_dir"]
    if not folder["exists"] or not folder["writable"]:
        raise RemoteError(f"{target.where}: remote_dir {target.remote_dir} is not a writable folder there "
                          f"(set targets.{target.name}.remote_dir)")
    if folder["free_mb"] < MIN_FREE_MB:
        raise RemoteError(f"{target.where}: only {folder['free_mb']:.0f} MB free in {target.remote_dir} (needs "
                          f"{MIN_FREE_MB}; set targets.{target.name}.remote_dir to a folder with room)")
    copy_round_trip(target)
    return info


def copy_round_trip(target: Target) -> None:
    """A small file copied into a fresh folder under ``remote_dir`` and back, with the benchmark's own
    ``scp``: an SSH server without SFTP (which scp uses since OpenSSH 9) lets commands run but copies
    nothing, and is named as such here, not as a dropped connection hours later."""
    mk = ssh(target, "mktemp", "-d", f"{target.remote_dir.rstrip('/')}/edgenas.XXXXXX")
    if mk.returncode != 0:
        raise RemoteError(f"{target.where}: cannot make a folder under {target.remote_dir}: {mk.stderr.strip()}")
    workdir = mk.stdout.strip()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            probe = Path(tmp, "probe.bin")
            probe.write_bytes(os.urandom(4096))
            back = Path(tmp, "back")
            back.mkdir()
            try:
                scp(target, [str(probe)], f"{target.login}:{workdir}/")
                scp(target, [f"{target.login}:{workdir}/probe.bin"], str(back))
            except RemoteError as err:
                raise RemoteError(f"{target.where}: commands run there but files cannot be copied ({err}); the "
                                  "SSH server needs its SFTP subsystem, which scp uses: on the device, add "
                                  "'Subsystem sftp /usr/lib/openssh/sftp-server' (or 'internal-sftp') to "
                                  "/etc/ssh/sshd_config and restart sshd") from None
            if (back / "probe.bin").read_bytes() != probe.read_bytes():
                raise RemoteError(f"{target.where}: a file copied there and back came back changed")
    finally:
        try:
            ssh(target, "rm", "-rf", workdir)
        except RemoteError:
            pass


def target_files(folder: str | Path) -> dict[str, dict]:
    """The devices declared by files ``folder/<name>.yaml``, each holding its settings (host, user,
    python, ...: the schema's ``targets.<name>``), by name."""
    import yaml

    declared = {}
    for path in sorted(Path(folder).glob("*.yaml")):
        settings = yaml.safe_load(path.read_text())
        if not isinstance(settings, dict) or "host" not in settings:
            raise ValueError(f"{path}: a target file holds the device's settings, host first (see "
                             "config/targets/pi5.yaml); this one has no host")
        declared[path.stem] = settings
    return declared


def describe(target: Target, info: dict) -> str:
    """What ``check`` found, in one line."""
    return (f"{target.name} ({target.where}): Python {'.'.join(map(str, info['version']))} at {info['executable']}, "
            f"onnxruntime {info['onnxruntime']}, CPU {info['cpu']} ({info['isa']}, {info['cores']} cores), "
            f"{info['remote_dir']['free_mb']:.0f} MB free in {target.remote_dir}")


def ssh_settings(declared: dict, emulated_python: str | None = None) -> dict:
    """Of a device's ``targets.<name>`` settings, those ``Target`` takes (its timing and sample
    settings are the benchmark's); an emulated target's Python is the one built on this machine."""
    keys = {f.name for f in fields(Target)} - {"name"}
    settings = {k: v for k, v in declared.items() if k in keys}
    return dict(settings, python=emulated_python) if declared.get("emulate") else settings


def run_on_device(target: Target, models: list[str], sample: str | None, warmup: int, runs: int,
                  peak_models: tuple[str, str] | None = None, flip_tta: list[str] = (), rounds: int = 1) -> dict:
    """Copy models, the device program and the sample; run it; fetch and return its result.
    Without a ``sample`` the device times the models on random inputs only (latency tables).
    ``peak_models`` (FP32 and INT8 matrix multiplies) also measure the device's peak MAC rates;
    the ``flip_tta`` models (of ``models``) are measured again with flip test-time augmentation;
    ``rounds`` timing passes over every model, each keeping its quietest (``ondevice.quietest_timings``)."""
    check(target)
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


def main(argv=None) -> int:
    """``edgenas check-target NAME``: the check the workflow runs first, by hand."""

    ap = argparse.ArgumentParser(prog="edgenas check-target", description="Check a device before a long run: SSH "
                                 "reachable, host key known, key login, its Python and version, numpy and onnxruntime, "
                                 "its CPU and ISA, free space in remote_dir. Fails in seconds, naming the cause.",
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("name", help="the target: the file <targets>/NAME.yaml declares it (e.g. pi5)")
    ap.add_argument("--targets", default="config/targets", help="the folder of target files")
    ap.add_argument("--emulators", default="resources/emulator",
                    help="where the workflow builds emulated Pythons (for an emulated target)")
    args = ap.parse_args(argv)
    declared = target_files(args.targets)
    if args.name not in declared:
        print(f"edgenas check-target: no {args.targets}/{args.name}.yaml; the declared targets are "
              f"{', '.join(declared) or 'none'} (copy {args.targets}/pi5.yaml to declare one)", file=sys.stderr)
        return 2
    declared = declared[args.name]
    emulated = Path(args.emulators, declared["emulate"], "python").resolve() if declared.get("emulate") else None
    if emulated and not emulated.is_file():
        print(f"edgenas check-target: {args.name} is emulated and its Python is not built yet: edgenas emulated-python "
              f"--cpu {declared['emulate']} --cache {args.emulators}", file=sys.stderr)
        return 1
    target = Target(name=args.name, **ssh_settings(declared, str(emulated) if emulated else None))
    try:
        print(describe(target, check(target)))
    except RemoteError as err:
        print(f"edgenas check-target: {err}", file=sys.stderr)
        return 1
    return 0
