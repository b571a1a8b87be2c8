"""The SSH benchmark against a real sshd on 127.0.0.1: the good path and each failure's message."""
import json
import socket
import subprocess
import sys

import numpy as np
import pytest

from edgenas.deliverables.bundle import write_edge_bundle
from edgenas.measurement.bench import COLUMNS, bench_device
from edgenas.remote import RemoteError, Target, run_on_device, write_sample


def target(sshd, **changes) -> Target:
    settings = {k: v for k, v in sshd.items() if not k.startswith("_")}
    settings.update(changes)
    return Target(name="dev", **settings)


@pytest.fixture(scope="module")
def files(arrays, small_onnx):
    """The folder of ``small_onnx`` (m.onnx), with a 20-image sample.npz beside it."""
    tmp = small_onnx.parent
    write_sample(tmp / "sample.npz", arrays["test"].x[:20], arrays["test"].y[:20], [0.5] * 3, [0.25] * 3)
    return tmp


def test_benchmark_runs_on_the_device_and_cleans_up(sshd, files, arrays):
    """bench_device: the device measures accuracy on a sample of the test subset, its own timings
    and peaks, and the final model again with flip TTA; each row says how many images its
    accuracy was measured on."""
    settings = {k: v for k, v in sshd.items() if not k.startswith("_")}
    entry = {"model": "nas", "stage": "int8", "onnx": str(files / "m.onnx"), "accuracy": None, "test_images": None,
             "params": 1, "macs": 2, "eager": None, "flip_tta": True}
    stats = {"mean": [0.5] * 3, "std": [0.25] * 3}
    rows = bench_device("dev", [entry], arrays["test"], stats, device=settings, warmup=1, runs=5, device_images=20,
                        seed=0, rounds=2)
    assert len(rows) == 2 and all(set(r) == set(COLUMNS) for r in rows)
    assert [r["stage"] for r in rows] == ["int8", "int8_flip_tta"] and rows[1]["macs"] == 4
    for row in rows:
        assert 0.0 <= row["accuracy"] <= 1.0 and row["latency_ms_p50"] > 0 and row["test_images"] == 20
        assert row["accuracy"] == row["host_accuracy"]  # the same machine's kernels, with and without TTA
        assert row["peak_gmacs_per_s"] > 0 and row["peak_fraction"] == row["gmacs_per_s"] / row["peak_gmacs_per_s"]
    assert list((sshd["_dir"] / "remote").iterdir()) == []  # the remote folder is gone


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("changes,message", [
    (lambda d: {"port": free_port()}, "no SSH server listens on port .*: start it"),
    (lambda d: {"host": "no-such-host.invalid"}, "host name does not resolve: check targets.dev.host"),
    (lambda d: {"known_hosts": str(d / "empty_known_hosts")}, "host key is unknown"),
    (lambda d: {"identity": str(d / "stranger")}, "authentication refused"),
])
def test_ssh_failures_are_named(sshd, files, changes, message):
    with pytest.raises(RemoteError, match=message):
        run_on_device(target(sshd, **changes(sshd["_dir"])), [str(files / "m.onnx")], str(files / "sample.npz"), 1, 2)


def test_a_server_that_runs_commands_but_copies_nothing_is_named_by_the_check(sshd_without_sftp):
    """An sshd without its SFTP subsystem: the Python check passes, but scp (SFTP since OpenSSH 9) cannot
    copy the models; the check copies a file there and back as the benchmark does, and says so."""
    from edgenas.remote import check

    with pytest.raises(RemoteError, match="files cannot be copied.*SFTP subsystem.*sshd_config"):
        check(target(sshd_without_sftp))
    assert list((sshd_without_sftp["_dir"] / "remote").iterdir()) == []  # its folder is removed again


def test_the_shipped_pi_target_waits_for_its_user():
    """config/targets/pi5.yaml ships a placeholder user: the check names it before any connection."""
    import yaml

    from edgenas.remote import check, ssh_settings
    from conftest import REPO

    declared = yaml.safe_load((REPO / "config/targets/pi5.yaml").read_text())
    with pytest.raises(RemoteError, match="targets.pi5: user .* placeholder .* Raspberry Pi Imager"):
        check(Target(name="pi5", **ssh_settings(declared)))


def test_missing_onnxruntime_says_how_to_install(sshd, files, tmp_path):
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "bare")], check=True)
    with pytest.raises(RemoteError, match="onnxruntime or numpy missing.*python3 -m venv.*pip install onnxruntime numpy"):
        run_on_device(target(sshd, python=str(tmp_path / "bare/bin/python")), [str(files / "m.onnx")],
                      str(files / "sample.npz"), 1, 2)


def test_old_python_is_refused(sshd, files, tmp_path):
    fake = tmp_path / "python3.7"
    fake.write_text("#!/bin/sh\necho '{\"version\": [3, 7, 3]}'\n")
    fake.chmod(0o755)
    with pytest.raises(RemoteError, match="Python 3.7.3 is too old"):
        run_on_device(target(sshd, python=str(fake)), [str(files / "m.onnx")], str(files / "sample.npz"), 1, 2)


def test_check_finds_what_the_benchmark_needs(sshd):
    """The check the workflow runs first: the device's Python, onnxruntime, CPU, ISA and free room,
    read by the device program itself (here the same machine, so the same answers)."""
    from edgenas.device import ondevice
    from edgenas.remote import check, describe

    t = target(sshd)
    info = check(t)
    assert info["version"] == list(sys.version_info[:3]) and info["onnxruntime"] == ondevice.ort.__version__
    assert info["cpu"] == ondevice.cpu_name() and info["isa"] == ondevice.isa()
    assert info["remote_dir"]["writable"] and info["remote_dir"]["free_mb"] > 0
    assert f"onnxruntime {info['onnxruntime']}" in describe(t, info) and info["isa"] in describe(t, info)
    assert list((sshd["_dir"] / "remote").iterdir()) == []  # it leaves nothing behind


def bare_python(folder) -> str:
    """A Python without numpy and onnxruntime: a virtual environment of the base interpreter."""
    subprocess.run([sys._base_executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    return str(folder / "bin/python")


@pytest.mark.parametrize("changes,message", [
    (lambda d, tmp: {"port": free_port()}, r"127\.0\.0\.1:\d+: host unreachable"),
    (lambda d, tmp: {"known_hosts": str(d / "empty_known_hosts")}, "host key is unknown.*ssh-keyscan"),
    (lambda d, tmp: {"python": bare_python(tmp / "bare")}, "onnxruntime or numpy missing.*python3 -m venv"),
    (lambda d, tmp: {"remote_dir": str(tmp / "no/such/folder")}, "remote_dir .* is not a writable folder"),
])
def test_check_fails_in_seconds_naming_the_cause(sshd, tmp_path, changes, message):
    import time

    from edgenas.remote import check

    start = time.monotonic()
    with pytest.raises(RemoteError, match=message):
        check(target(sshd, **changes(sshd["_dir"], tmp_path)))
    assert time.monotonic() - start < 30


def test_check_target_command(sshd, tmp_path, capsys):
    """edgenas check-target NAME reads config/targets/NAME.yaml (here a folder of the test's) and
    says what it found, or why the device does not answer (exit 1), or which targets exist (exit 2)."""
    import yaml

    from edgenas.cli import main

    settings = {k: v for k, v in sshd.items() if not k.startswith("_")}
    folder = tmp_path / "targets"
    folder.mkdir()
    (folder / "dev.yaml").write_text(yaml.safe_dump(settings))
    (folder / "dead.yaml").write_text(yaml.safe_dump(dict(settings, port=free_port())))
    assert main(["check-target", "dev", "--targets", str(folder)]) == 0
    assert "dev (" in capsys.readouterr().out
    assert main(["check-target", "dead", "--targets", str(folder)]) == 1
    assert "host unreachable" in capsys.readouterr().err
    assert main(["check-target", "pi9", "--targets", str(folder)]) == 2
    assert "the declared targets are dead, dev" in capsys.readouterr().err


def test_remote_arguments_are_quoted(sshd, tmp_path):
    """A folder name with spaces and shell characters reaches the device intact."""
    from edgenas.remote import ssh

    odd = "it's a $(folder); rm -rf x"
    proc = ssh(target(sshd), sys.executable, "-c", "import sys; print(sys.argv[1])", odd)
    assert proc.stdout.strip() == odd


def test_edge_bundle_is_complete(files, arrays, tmp_path):
    stats = {"classes": arrays["test"].classes, "mean": [0.5] * 3, "std": [0.25] * 3, "image_size": 16}
    write_edge_bundle(tmp_path / "edge", str(files / "m.onnx"), stats, arrays["test"].x[:8], arrays["test"].y[:8])
    names = {p.name for p in (tmp_path / "edge").iterdir()}
    assert names == {"m.onnx", "ondevice.py", "demo.py", "overlay.py", "labels.json", "sample.npz", "requirements.txt",
                     "README.md"}
    assert json.loads((tmp_path / "edge/labels.json").read_text())["classes"] == arrays["test"].classes
    with np.load(tmp_path / "edge/sample.npz") as z:
        assert z["x"].shape == (8, 16, 16, 3)
