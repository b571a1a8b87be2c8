import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from synthetic import write_imagefolder  # noqa: E402

REPO = Path(__file__).resolve().parents[1]

# The real components some tests start, by the fixture that starts them: what it is and what installs it.
COMPONENTS = {
    "sshd": ("OpenSSH server (sshd)", "apt-get install openssh-server"),
    "slurm": ("SLURM (munged, slurmctld, slurmd)", "apt-get install slurmctld slurmd slurm-client munge"),
    "arm_python": ("QEMU's emulated Cortex-A76 Python", "apt-get install qemu-user-static, and network to Debian's "
                   "archive and PyPI"),
    "haswell_python": ("QEMU's emulated Haswell Python", "apt-get install qemu-user-static"),
}


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def unavailable(fixture: str, why: str) -> None:
    """A real component a test needs is missing: a skip here, a failure in CI (CI=true), where every
    real component must run; both name it and what installs it."""
    what, install = COMPONENTS[fixture]
    message = f"{what} unavailable: {why} (install: {install})"
    if in_ci():
        pytest.fail(f"CI needs every real component: {message}", pytrace=False)
    pytest.skip(message)


# The fast lane, for a change to the library: pytest -m "not slow". A test is slow when it runs the
# workflow, a real server or an emulated CPU (its fixtures), or trains nets for long (its module).
SLOW_FIXTURES = {"run", "slurm", "arm_python", "haswell_python", "clone", "sshd", "sshd_without_sftp"}
SLOW_MODULES = {"test_dense", "test_mobile"}  # each builds and times latency tables


def pytest_collection_modifyitems(items):
    for item in items:
        if (SLOW_FIXTURES & set(item.fixturenames) or item.module.__name__ in SLOW_MODULES
                or item.get_closest_marker("workflow")):
            item.add_marker(pytest.mark.slow)


_RAN: dict[str, dict[str, int]] = {}


def pytest_runtest_logreport(report):
    """Counts, per real component, the tests that used it by outcome (printed at the end of the run)."""
    if report.when == "call" or report.skipped or report.failed:
        for fixture in getattr(report, "components", ()):
            counts = _RAN.setdefault(fixture, {"passed": 0, "failed": 0, "skipped": 0})
            counts[report.outcome] += 1


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" or report.skipped or report.failed:
        report.components = [f for f in COMPONENTS if f in item.fixturenames]


def pytest_terminal_summary(terminalreporter):
    terminalreporter.section("tests per real component")
    for fixture, (what, _) in COMPONENTS.items():
        counts = _RAN.get(fixture, {"passed": 0, "failed": 0, "skipped": 0})
        terminalreporter.write_line(f"{what}: {counts['passed']} passed, {counts['failed']} failed, "
                                    f"{counts['skipped']} skipped")

# A hand-written DARTS genotype (NNI's dict form) for tests that need a fixed net.
ARCH = {}
for cell, ops in (("normal", ["sep_conv_3x3", "skip_connect", "dil_conv_3x3", "sep_conv_5x5",
                              "avg_pool_3x3", "sep_conv_3x3", "max_pool_3x3", "dil_conv_5x5"]),
                  ("reduce", ["max_pool_3x3", "sep_conv_3x3", "avg_pool_3x3", "skip_connect",
                              "dil_conv_3x3", "max_pool_3x3", "sep_conv_5x5", "skip_connect"])):
    for node in range(2, 6):
        for j in (0, 1):
            ARCH[f"{cell}/op_{node}_{j}"] = ops[(node - 2) * 2 + j]
            ARCH[f"{cell}/input_{node}_{j}"] = [j if node == 2 else (node - 1 - j)]


def recipe(**keys):
    """A training recipe for the tests' short trainings: plain SGD with random flips and no extras,
    with ``keys`` changed (edgenas.settings.Recipe has no defaults: the workflow's come from the config)."""
    from edgenas.settings import Recipe

    plain = dict(epochs=3, batch_size=32, learning_rate=0.05, momentum=0.9, weight_decay=5e-4, schedule="onecycle",
                 label_smoothing=0.1, cutout=0, nesterov=True, translate=None, flip="random", bias_lr_scale=1.0,
                 decay_biases=False, whiten_bias_epochs=0, lookahead_steps=0, lookahead_decay=0.77,
                 auxiliary_weight=0.0, distill_weight=0.0, temperature=None)
    return Recipe(**plain | keys)


def quantize(**keys):
    """INT8 settings for the tests: the workflow's defaults (config/config.yaml) with ``keys`` changed."""
    import yaml

    from edgenas.settings import Quantize

    return Quantize(**yaml.safe_load((REPO / "config/config.yaml").read_text())["quantize"] | keys)


@pytest.fixture(scope="session")
def imagefolder(tmp_path_factory) -> Path:
    """A small learnable ImageFolder data set (4 classes, 20x20 PNGs)."""
    return write_imagefolder(tmp_path_factory.mktemp("data") / "synthetic")


@pytest.fixture(scope="session")
def arrays(imagefolder):
    from edgenas.data import load_imagefolder

    return load_imagefolder(imagefolder, 16)


@pytest.fixture(scope="session")
def sshd(tmp_path_factory):
    """A real OpenSSH server on 127.0.0.1, a free port, throwaway host and user keys.

    Yields a dict of target settings for this machine; skips where sshd cannot start.
    """
    yield from _sshd(tmp_path_factory, sftp=True)


@pytest.fixture(scope="session")
def sshd_without_sftp(tmp_path_factory):
    """``sshd`` without its SFTP subsystem: commands run, scp (SFTP since OpenSSH 9) copies nothing."""
    yield from _sshd(tmp_path_factory, sftp=False)


def _sshd(tmp_path_factory, sftp: bool):
    import getpass
    import shutil
    import socket
    import subprocess
    import time

    daemon = shutil.which("sshd") or ("/usr/sbin/sshd" if Path("/usr/sbin/sshd").exists() else None)
    if daemon is None or shutil.which("ssh") is None:
        unavailable("sshd", "no sshd or ssh on this machine")
    d = tmp_path_factory.mktemp("sshd")
    for name in ("host", "user", "stranger"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(d / name)], check=True)
    (d / "authorized_keys").write_text((d / "user.pub").read_text())
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    (d / "sshd_config").write_text(f"""Port {port}
ListenAddress 127.0.0.1
HostKey {d / 'host'}
PidFile {d / 'sshd.pid'}
AuthorizedKeysFile {d / 'authorized_keys'}
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
{"Subsystem sftp internal-sftp" if sftp else ""}
""")
    Path("/run/sshd").mkdir(parents=True, exist_ok=True)  # privilege separation folder
    proc = subprocess.Popen([daemon, "-D", "-e", "-f", str(d / "sshd_config")], stderr=subprocess.PIPE, text=True)
    for _ in range(50):
        if proc.poll() is not None:
            pytest.fail(f"sshd is installed but did not start: {proc.stderr.read()[-500:]}", pytrace=False)
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.1)
    host_pub = (d / "host.pub").read_text().split()
    (d / "known_hosts").write_text(f"[127.0.0.1]:{port} {host_pub[0]} {host_pub[1]}\n")
    (d / "empty_known_hosts").write_text("")
    remote = d / "remote"
    remote.mkdir()
    yield {"host": "127.0.0.1", "port": port, "user": getpass.getuser(), "identity": str(d / "user"),
           "known_hosts": str(d / "known_hosts"), "python": sys.executable, "remote_dir": str(remote),
           "threads": [1], "connect_timeout": 5, "retries": 1, "_dir": d}
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="session")
def small_onnx(arrays, tmp_path_factory) -> Path:
    """An untrained small DARTS net (``ARCH``) as a checkpoint and its ONNX file, for device tests."""
    from edgenas.export import export_checkpoint
    from edgenas.model import build_model, save_checkpoint

    tmp = tmp_path_factory.mktemp("small_onnx")
    spec = dict(family="darts", arch=ARCH, width=8, num_cells=3, num_classes=4)
    save_checkpoint(tmp / "m.pt", build_model(spec).eval(), spec, mean=[0.5] * 3, std=[0.25] * 3,
                    classes=arrays["test"].classes, image_size=16)
    export_checkpoint(str(tmp / "m.pt"), str(tmp / "m.onnx"), arrays["test"].x[:2])
    return tmp / "m.onnx"


def emulated_python(cpu: str, fixture: str) -> Path:
    """An emulated Python (edgenas emulated-python), built once per machine into a cache
    (EDGENAS_EMULATOR_CACHE, default ~/.cache/edgenas/emulator). Missing QEMU or (for Arm) Debian's
    and PyPI's registries make it unavailable (``unavailable``); a Python that is built but does not
    start, or reports another machine, is a fault: the test fails."""
    from edgenas.measurement.emulator import EmulatorUnavailable, build

    cache = os.environ.get("EDGENAS_EMULATOR_CACHE", str(Path.home() / ".cache/edgenas/emulator"))
    try:
        return build(cache, cpu)
    except EmulatorUnavailable as err:
        unavailable(fixture, str(err))


@pytest.fixture(scope="session")
def arm_python() -> Path:
    """The emulated ARM64 Python on a Cortex-A76 (the Pi 5's core)."""
    return emulated_python("cortex-a76", "arm_python")


@pytest.fixture(scope="session")
def haswell_python() -> Path:
    """This machine's Python emulated as a Haswell: x86 with AVX2, without AVX-512 or VNNI."""
    return emulated_python("haswell", "haswell_python")
