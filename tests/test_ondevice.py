import json
import subprocess
import sys

import numpy as np
import torch
from conftest import ARCH

from edgenas.export import export_onnx
from edgenas.device import ondevice
from edgenas.measurement.bench import COLUMNS, bench_local, matmul_models, write_rows
from edgenas.search.spaces.darts import build_net


def test_latency_stats_are_ordered():
    stats = ondevice.latency_stats(np.array([1.0, 2.0, 3.0, 4.0, 100.0]))
    assert stats["latency_ms_p50"] == 3.0
    assert stats["latency_ms_p50"] <= stats["latency_ms_p90"] <= stats["latency_ms_p99"]
    assert stats["throughput_ips"] == 1000.0 / stats["latency_ms_mean"]


def test_quietest_timings_interleave_the_models_and_keep_each_ones_quietest_pass(monkeypatch):
    """Every model is timed once per pass, passes one after another; a model keeps the pass with
    its lowest p50 (a slow spell during one pass does not stay in its row)."""
    calls = []
    p50s = iter([2.0, 5.0, 9.0, 1.0, 3.0, 4.0])  # pass 1: a, b, a+TTA; pass 2: a, b, a+TTA

    def fake_timing(model, image, threads, warmup, runs, flip_tta=False):
        calls.append((model, flip_tta, threads))
        return {"latency_ms_p50": next(p50s), "pass": len(calls) > 3}

    monkeypatch.setattr(ondevice, "timing", fake_timing)
    best = ondevice.quietest_timings([("a", False), ("b", False), ("a", True)], None, [1], 0, 5, rounds=2)
    assert calls == [("a", False, 1), ("b", False, 1), ("a", True, 1)] * 2
    assert {k: (v["latency_ms_p50"], v["pass"]) for k, v in best.items()} == {
        ("a", False, 1): (1.0, True), ("b", False, 1): (3.0, True), ("a", True, 1): (4.0, True)}
    p50s = iter([2.0, 5.0, 9.0, 3.0, 1.0, 10.0])
    calls.clear()
    best = ondevice.quietest_timings([("a", False), ("b", False), ("a", True)], None, [1], 0, 5, rounds=2)
    assert {k: v["latency_ms_p50"] for k, v in best.items()} == {("a", False, 1): 2.0, ("b", False, 1): 1.0,
                                                                 ("a", True, 1): 9.0}


def test_device_program_runs_standalone(tmp_path):
    """The device-side file runs as a script with only numpy and onnxruntime."""
    net = build_net(ARCH, width=8, num_cells=3, num_classes=4).eval()
    export_onnx(net, tmp_path / "m.onnx", np.zeros((1, 3, 16, 16), np.float32))
    rng = np.random.default_rng(0)
    x = rng.integers(0, 255, (10, 16, 16, 3), dtype=np.uint8)
    with torch.no_grad():
        y = net(torch.from_numpy(ondevice.normalize(x, [0.5] * 3, [0.25] * 3))).argmax(1).numpy()
    np.savez(tmp_path / "sample.npz", x=x, y=y, mean=[0.5] * 3, std=[0.25] * 3)
    out = tmp_path / "r.json"
    code = ("import sys, runpy; sys.modules['torch'] = None; sys.modules['edgenas'] = None; "
            f"sys.argv = ['ondevice', '{tmp_path / 'm.onnx'}', '--data', '{tmp_path / 'sample.npz'}', "
            f"'--threads', '1', '--warmup', '1', '--runs', '5', '--rounds', '2', '--flip-tta', '{tmp_path / 'm.onnx'}', "
            f"'--out', '{out}']; runpy.run_path('{ondevice.__file__}', run_name='__main__')")
    subprocess.run([sys.executable, "-c", code], check=True)
    result = json.loads(out.read_text())
    one, tta = result["rows"]
    assert one["accuracy"] >= 0.9 and not one["flip_tta"]  # the same predictions as PyTorch
    assert one["accuracy"] == (np.array(one["top1"]) == y).mean()  # each image's class, for host agreement
    assert result["system"]["onnxruntime"] and result["system"]["isa"] == ondevice.isa()
    assert ondevice.isa().startswith(("x86-", "arm64-"))
    # flip TTA: the logits of each image and of its left-right mirror, averaged
    with torch.no_grad():
        inputs = torch.from_numpy(ondevice.normalize(x, [0.5] * 3, [0.25] * 3))
        both = (net(inputs) + net(inputs.flip(3))).argmax(1).numpy()
    assert tta["flip_tta"] and tta["accuracy"] == (both == y).mean()
    from edgenas.model import (
        predict_torch,  # the PyTorch side averages the same way
    )

    assert (predict_torch(net, x, [0.5] * 3, [0.25] * 3, tta="flip").argmax(1) == both).all()


def test_flip_translate_tta_is_airbench94s_six_pass_average():
    """``predict_torch(tta="flip_translate")`` against airbench94's own formulation on normalised
    tensors: half the flip average, half the flip averages of the image reflect-shifted one pixel
    either way."""
    from torch.nn import functional as F

    from edgenas.model import predict_torch

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.LazyLinear(5))
    x = np.random.default_rng(0).integers(0, 256, (6, 10, 12, 3), dtype=np.uint8)
    with torch.no_grad():
        inputs = torch.from_numpy(ondevice.normalize(x, [0.5] * 3, [0.25] * 3))
        mirror = lambda t: (net(t) + net(t.flip(-1))) / 2  # noqa: E731
        padded = F.pad(inputs, (1,) * 4, mode="reflect")
        shifted = (mirror(padded[:, :, :10, :12]) + mirror(padded[:, :, 2:, 2:])) / 2
        expected = ((mirror(inputs) + shifted) / 2).numpy()
    got = predict_torch(net, x, [0.5] * 3, [0.25] * 3, batch_size=4, tta="flip_translate")
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    assert not np.allclose(got, predict_torch(net, x, [0.5] * 3, [0.25] * 3, tta="flip"))


def test_bench_rows_have_every_column_and_an_eager_reference(tmp_path):
    from edgenas.data import ImageArrays
    from edgenas.measurement.bench import model_entries
    from edgenas.model import save_checkpoint

    spec = {"family": "darts", "arch": ARCH, "width": 8, "num_cells": 3, "num_classes": 4}
    net = build_net(ARCH, width=8, num_cells=3, num_classes=4).eval()
    export_onnx(net, tmp_path / "m.onnx", np.zeros((1, 3, 16, 16), np.float32))
    save_checkpoint(tmp_path / "m.pt", net, spec)
    (tmp_path / "m.onnx.json").write_text(json.dumps({"accuracy": 0.5, "images": 40}))
    (tmp_path / "m.pt.json").write_text(json.dumps({"accuracy": 0.5, "images": 40, "macs": 2_000_000, "params": 1}))
    entries = model_entries([{"model": "nas", "stage": "baseline", "onnx": str(tmp_path / "m.onnx"),
                              "metrics": str(tmp_path / "m.onnx.json"), "complexity": str(tmp_path / "m.pt.json"),
                              "eager": str(tmp_path / "m.pt"), "flip_tta": True}])
    test = ImageArrays(np.zeros((3, 16, 16, 3), np.uint8), np.zeros(3, np.int64), ["a"])
    rows = bench_local("local", entries, test, {"mean": [0.5] * 3, "std": [0.25] * 3}, threads=[1, 0], warmup=1,
                       runs=3, rounds=2)
    assert len(rows) == 6 and all(set(r) == set(COLUMNS) for r in rows)
    assert [r["format"] for r in rows] == ["onnx-fp32"] * 4 + ["pytorch-fp32"] * 2
    assert [r["stage"] for r in rows] == ["baseline"] * 2 + ["baseline_flip_tta"] * 2 + ["baseline"] * 2
    assert [r["test_images"] for r in rows] == [40, 40, 3, 3, 40, 40]  # flip TTA is measured here, on the subset
    for r in rows:  # the attained rate is the net's MACs over its p50 latency, judged against the FP32 peak
        macs = 4_000_000 if r["stage"].endswith("flip_tta") else 2_000_000  # two passes per image
        assert r["gmacs_per_s"] == macs / (r["latency_ms_p50"] / 1000) / 1e9
        assert r["peak_fraction"] == r["gmacs_per_s"] / r["peak_gmacs_per_s"]
    write_rows(rows, tmp_path / "b.csv")
    assert (tmp_path / "b.csv").read_text().splitlines()[0] == ",".join(COLUMNS)


def test_peak_models_compute_a_matrix_product(tmp_path):
    """The peak is only meaningful if the timed models do the size^3 MACs they claim."""
    import onnxruntime as ort

    fp32, int8 = matmul_models(tmp_path, size=64)
    rng = np.random.default_rng(1)
    a = rng.integers(0, 255, (64, 64)).astype(np.uint8)
    for path, x in [(fp32, a.astype(np.float32)), (int8, a)]:
        session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        b = __import__("onnx").numpy_helper.to_array(__import__("onnx").load(path).graph.initializer[0])
        y = session.run(None, {"a": x})[0]
        np.testing.assert_allclose(y, x.astype(np.float64) @ b.astype(np.float64), rtol=1e-4, atol=0.05)
        assert session.get_modelmeta().custom_metadata_map["edgenas.macs"] == str(64 ** 3)
    assert ondevice.peak_gmacs(int8, 1, runs=3) > 0


def test_a_damaged_onnx_file_is_named_with_the_command_that_rebuilds_it(tmp_path, arrays):
    import pytest

    from edgenas.measurement.evaluate import evaluate_file
    from edgenas.records import DamagedFile

    net = build_net(ARCH, width=8, num_cells=3, num_classes=4).eval()
    export_onnx(net, tmp_path / "int8.onnx", np.zeros((1, 3, 16, 16), np.float32))
    (tmp_path / "int8.onnx").write_bytes((tmp_path / "int8.onnx").read_bytes()[:300])
    with pytest.raises(DamagedFile, match=r"int8\.onnx is damaged .*snakemake .*int8\.onnx --forcerun"):
        evaluate_file(tmp_path / "int8.onnx", arrays["test"], [0.5] * 3, [0.25] * 3)
