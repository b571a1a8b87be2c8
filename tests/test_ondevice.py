import json
import subprocess
import sys

import numpy as np
import torch

from conftest import ARCH
from edgenas import ondevice
from edgenas.bench import COLUMNS, bench_local, write_rows
from edgenas.export import export_onnx
from edgenas.model import build_net


def test_latency_stats_are_ordered():
    stats = ondevice.latency_stats(np.array([1.0, 2.0, 3.0, 4.0, 100.0]))
    assert stats["latency_ms_p50"] == 3.0
    assert stats["latency_ms_p50"] <= stats["latency_ms_p90"] <= stats["latency_ms_p99"]
    assert stats["throughput_ips"] == 1000.0 / stats["latency_ms_mean"]


def test_device_program_runs_standalone(tmp_path):
    """The device-side file runs as a script with only numpy and onnxruntime."""
    net = build_net(ARCH, width=8, num_cells=3, num_classes=4).eval()
    export_onnx(net, tmp_path / "m.onnx", 16, np.zeros((1, 3, 16, 16), np.float32))
    rng = np.random.default_rng(0)
    x = rng.integers(0, 255, (10, 16, 16, 3), dtype=np.uint8)
    with torch.no_grad():
        y = net(torch.from_numpy(ondevice.normalize(x, [0.5] * 3, [0.25] * 3))).argmax(1).numpy()
    np.savez(tmp_path / "sample.npz", x=x, y=y, mean=[0.5] * 3, std=[0.25] * 3)
    out = tmp_path / "r.json"
    code = ("import sys, runpy; sys.modules['torch'] = None; sys.modules['edgenas'] = None; "
            f"sys.argv = ['ondevice', '{tmp_path / 'm.onnx'}', '--data', '{tmp_path / 'sample.npz'}', "
            f"'--threads', '1', '--warmup', '1', '--runs', '5', '--out', '{out}']; "
            f"runpy.run_path('{ondevice.__file__}', run_name='__main__')")
    subprocess.run([sys.executable, "-c", code], check=True)
    result = json.loads(out.read_text())
    assert result["rows"][0]["accuracy"] >= 0.9  # the same predictions as PyTorch
    assert result["system"]["onnxruntime"]


def test_bench_rows_have_every_column(tmp_path):
    net = build_net(ARCH, width=8, num_cells=3, num_classes=4).eval()
    export_onnx(net, tmp_path / "m.onnx", 16, np.zeros((1, 3, 16, 16), np.float32))
    images = np.zeros((1, 16, 16, 3), np.uint8)
    rows = bench_local("local", {"baseline": str(tmp_path / "m.onnx")}, {"baseline": 0.5},
                       {"baseline": {"params": 1, "macs": 2}}, images, [0.5] * 3, [0.25] * 3, [1, 0], 1, 3)
    assert len(rows) == 2 and set(rows[0]) == set(COLUMNS)
    write_rows(rows, tmp_path / "b.csv")
    assert (tmp_path / "b.csv").read_text().splitlines()[0] == ",".join(COLUMNS)
