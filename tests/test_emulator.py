"""The emulated targets: QEMU runs Debian's arm64 Python with this machine's onnxruntime, reached
over SSH like a Pi (the edge bundle's demo runs on it too), or this machine's Python as an x86
without VNNI (Haswell), whose INT8 kernels saturate."""
import json
import shutil
import subprocess

import numpy as np
import pytest
from conftest import quantize, unavailable

from edgenas.deliverables.bundle import write_edge_bundle
from edgenas.device import ondevice
from edgenas.errors import ConfigError
from edgenas.measurement import emulator
from edgenas.measurement.bench import bench_device


def test_the_emulated_python_is_aarch64_and_built_once(arm_python):
    manifest = arm_python.parent / "manifest.json"
    before = manifest.stat().st_mtime_ns
    assert emulator.build(arm_python.parent.parent, "cortex-a76") == arm_python
    assert manifest.stat().st_mtime_ns == before  # nothing rebuilt
    info = emulator.check(arm_python)
    assert info["machine"] == "aarch64" and info["executable"] == str(arm_python)  # subprocesses are emulated too
    assert info["onnxruntime"] == json.loads(manifest.read_text())["build"]["wheels"]["onnxruntime"]


def test_what_is_missing_is_named(monkeypatch, tmp_path):
    with pytest.raises(ConfigError, match="'cortex-x9' is not one of .*haswell"):
        emulator.build(tmp_path, "cortex-x9")
    real_which = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name: None if name.startswith("qemu") else real_which(name))
    with pytest.raises(emulator.EmulatorError, match="qemu-aarch64-static not found.*apt-get install qemu-user-static"):
        emulator.build(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_an_unreachable_registry_is_named_and_leaves_nothing(tmp_path):
    if not (shutil.which("qemu-aarch64-static") or shutil.which("qemu-aarch64")) or not shutil.which("apt-get"):
        unavailable("arm_python", "no QEMU or no apt-get on this machine")
    with pytest.raises(emulator.EmulatorError, match=r"Debian's arm64 package index from http://127\.0\.0\.1:9/debian"):
        emulator.build(tmp_path, mirror="http://127.0.0.1:9/debian")
    assert list(tmp_path.iterdir()) == []  # no half-built folder


def test_the_device_program_runs_on_arm64_over_ssh(sshd, arm_python, small_onnx, arrays):
    settings = {k: v for k, v in sshd.items() if not k.startswith("_")}
    entry = {"model": "nas", "stage": "baseline", "onnx": str(small_onnx), "accuracy": None, "test_images": None,
             "params": 1, "macs": 2, "eager": None, "flip_tta": False}
    rows = bench_device("emu", [entry], arrays["test"], {"mean": [0.5] * 3, "std": [0.25] * 3},
                        device=dict(settings, python=str(arm_python)), warmup=1, runs=2, device_images=16, seed=0,
                        emulated=True)
    row = rows[0]
    assert row["emulated"] is True and "aarch64" in row["os"] and row["cpu"] == "QEMU-emulated cortex-a76 (aarch64)"
    assert row["peak_gmacs_per_s"] is None  # QEMU's MAC rate is not the chip's
    assert row["accuracy"] == row["host_accuracy"]  # FP32: the same predictions on both ISAs
    assert list((sshd["_dir"] / "remote").iterdir()) == []


def test_the_demo_runs_under_the_emulated_python(arm_python, small_onnx, arrays, imagefolder, tmp_path):
    stats = {"classes": arrays["test"].classes, "mean": [0.5] * 3, "std": [0.25] * 3, "image_size": 16}
    write_edge_bundle(tmp_path / "edge", str(small_onnx), stats, arrays["test"].x[:4], arrays["test"].y[:4])
    folder = next(p for p in (imagefolder / "test").iterdir() if p.is_dir())
    proc = subprocess.run([str(arm_python), str(tmp_path / "edge/demo.py"), "--model", str(tmp_path / "edge/m.onnx"),
                           "--source", str(folder), "--headless", "--max-frames", "4", "--out",
                           str(tmp_path / "demo.mp4"), "--summary", str(tmp_path / "summary.json")],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["frames"] == 4 and (tmp_path / "demo.mp4").stat().st_size > 0


def test_the_emulated_haswell_has_avx2_without_vnni(haswell_python):
    info = emulator.check(haswell_python, "x86_64")
    assert info["executable"] == str(haswell_python)  # subprocesses are emulated too
    code = f"import runpy; print(runpy.run_path({ondevice.__file__!r})['isa']())"
    proc = subprocess.run([str(haswell_python), "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.stdout.strip() == "x86-avx2", proc.stderr[-2000:]


def saturating_net(path):
    """A 1x1 convolution over 32 channels of 8x8 maps with large positive weights: with u8 inputs
    near 255 and 8-bit weights near 127, a pair of products (2 x 255 x 127) exceeds a 16-bit lane."""
    import torch

    from edgenas.export import export_onnx

    conv = torch.nn.Conv2d(32, 16, 1)
    with torch.no_grad():
        conv.weight.copy_(torch.rand(16, 32, 1, 1, generator=torch.Generator().manual_seed(0)) * 0.5 + 0.5)
        conv.bias.zero_()
    export_onnx(torch.nn.Sequential(conv, torch.nn.Flatten(1)).eval(), path, np.zeros((1, 32, 8, 8), np.float32))


def outputs(python, model, inputs, tmp_path):
    np.save(tmp_path / "x.npy", inputs)
    code = (f"import numpy as np, onnxruntime as ort; s = ort.InferenceSession({str(model)!r}, "
            "providers=['CPUExecutionProvider']); "
            f"np.save({str(tmp_path / 'y.npy')!r}, s.run(None, {{s.get_inputs()[0].name: np.load({str(tmp_path / 'x.npy')!r})}})[0])")
    subprocess.run([str(python), "-c", code], check=True, timeout=300)
    return np.load(tmp_path / "y.npy")


@pytest.mark.parametrize("reduce_range", [False, True])
def test_seven_bit_weights_are_exact_on_x86_without_vnni(haswell_python, tmp_path, reduce_range, request):
    """The workflow's INT8 settings (u8 activations, s8 weights, per channel) on a net that fills
    the 8-bit ranges: with 7-bit weights Haswell's AVX2 kernels compute what this machine computes;
    with 8-bit weights (reduce_range off) they saturate, against an exact side: this machine where it
    has VNNI (or an Arm core), else the emulated Cortex-A76, whose dot products do not saturate."""
    import sys

    from edgenas.quantize import quantize_int8

    saturating_net(tmp_path / "fp32.onnx")
    rng = np.random.default_rng(0)
    calibration = rng.uniform(0.0, 4.0, (64, 32, 8, 8)).astype(np.float32)
    quantize_int8(tmp_path / "fp32.onnx", tmp_path / "int8.onnx", calibration,
                  quantize(format="qdq", per_channel=True, calibration_method="minmax", reduce_range=reduce_range,
                           keep_fp32=[]))
    inputs = rng.uniform(3.0, 4.0, (16, 32, 8, 8)).astype(np.float32)  # near the top of the calibrated range
    here = outputs(sys.executable, tmp_path / "int8.onnx", inputs, tmp_path)
    avx2 = outputs(haswell_python, tmp_path / "int8.onnx", inputs, tmp_path)
    if reduce_range:
        np.testing.assert_array_equal(avx2, here)
    else:
        exact = outputs(request.getfixturevalue("arm_python"), tmp_path / "int8.onnx", inputs, tmp_path) \
            if ondevice.isa() == "x86-avx2" else here
        assert (avx2 != exact).mean() > 0.5 and avx2.mean() < exact.mean()  # saturated sums come out smaller
