"""The SSH benchmark against a real sshd on 127.0.0.1: the good path and each failure's message."""
import json
import socket
import subprocess
import sys

import numpy as np
import pytest

from edgenas.bench import COLUMNS, bench_device
from edgenas.bundle import write_edge_bundle
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
    (lambda d: {"port": free_port()}, "host unreachable"),
    (lambda d: {"known_hosts": str(d / "empty_known_hosts")}, "host key is unknown"),
    (lambda d: {"identity": str(d / "stranger")}, "authentication refused"),
])
def test_ssh_failures_are_named(sshd, files, changes, message):
    with pytest.raises(RemoteError, match=message):
        run_on_device(target(sshd, **changes(sshd["_dir"])), [str(files / "m.onnx")], str(files / "sample.npz"), 1, 2)


def test_missing_onnxruntime_says_how_to_install(sshd, files, tmp_path):
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "bare")], check=True)
    with pytest.raises(RemoteError, match="onnxruntime or numpy missing.*pip install onnxruntime numpy"):
        run_on_device(target(sshd, python=str(tmp_path / "bare/bin/python")), [str(files / "m.onnx")],
                      str(files / "sample.npz"), 1, 2)


def test_old_python_is_refused(sshd, files, tmp_path):
    fake = tmp_path / "python3.7"
    fake.write_text("#!/bin/sh\necho '{\"python\": [3, 7, 3]}'\n")
    fake.chmod(0o755)
    with pytest.raises(RemoteError, match="Python 3.7.3 is too old"):
        run_on_device(target(sshd, python=str(fake)), [str(files / "m.onnx")], str(files / "sample.npz"), 1, 2)


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
    assert names == {"m.onnx", "ondevice.py", "demo.py", "labels.json", "sample.npz", "requirements.txt",
                     "README.md"}
    assert json.loads((tmp_path / "edge/labels.json").read_text())["classes"] == arrays["test"].classes
    with np.load(tmp_path / "edge/sample.npz") as z:
        assert z["x"].shape == (8, 16, 16, 3)
