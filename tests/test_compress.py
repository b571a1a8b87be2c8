"""Pruning, ONNX export and INT8 quantization on a small net (untrained weights suffice for wiring)."""
import numpy as np
import onnx
import pytest
import torch
from conftest import ARCH, quantize

from edgenas.export import export_onnx, tidy_onnx
from edgenas.compression.prune import make_importance, prune_channels
from edgenas.quantize import quantize_int8
from edgenas.device import ondevice
from edgenas.search.spaces.darts import build_net


@pytest.fixture(scope="module")
def net():
    torch.manual_seed(0)
    n = build_net(ARCH, width=16, num_cells=3, num_classes=4).eval()
    prune_channels(n, 16, ratio=0.25, importance="l1", global_pruning=False, round_to=4)
    return n


def test_unknown_importance_names_the_key():
    with pytest.raises(ValueError, match="prune.importance"):
        make_importance("magic")


def test_round_to_keeps_channel_multiples(net):
    convs = [m for m in net.modules() if isinstance(m, torch.nn.Conv2d) and m.groups == 1]
    assert all(m.out_channels % 4 == 0 for m in convs)


def test_export_matches_pytorch_with_dynamic_batch(net, tmp_path):
    x = torch.randn(5, 3, 16, 16).numpy()
    diff = export_onnx(net, tmp_path / "m.onnx", x)
    assert diff < 1e-3
    session = ondevice.open_session(str(tmp_path / "m.onnx"), 1)
    assert ondevice.predict(session, x, batch_size=2).shape == (5, 4)
    names = [n.name for n in onnx.load(str(tmp_path / "m.onnx")).graph.node]
    assert names[0] == "n0"  # compacted


def test_tidy_onnx_keeps_outputs(net, tmp_path):
    x = torch.randn(2, 3, 16, 16).numpy()
    export_onnx(net, tmp_path / "a.onnx", x)
    before = ondevice.predict(ondevice.open_session(str(tmp_path / "a.onnx")), x)
    tidy_onnx(tmp_path / "a.onnx")
    np.testing.assert_allclose(ondevice.predict(ondevice.open_session(str(tmp_path / "a.onnx")), x), before)


@pytest.mark.parametrize("fmt,method", [("qdq", "minmax"), ("qoperator", "percentile")])
def test_int8_is_smaller_and_close(net, tmp_path, fmt, method):
    rng = np.random.default_rng(0)
    calib = rng.standard_normal((32, 3, 16, 16)).astype(np.float32)
    export_onnx(net, tmp_path / "fp32.onnx", calib[:4])
    quantize_int8(tmp_path / "fp32.onnx", tmp_path / "int8.onnx", calib,
                  quantize(format=fmt, per_channel=True, calibration_method=method, reduce_range=False, keep_fp32=[]))
    assert (tmp_path / "int8.onnx").stat().st_size < (tmp_path / "fp32.onnx").stat().st_size
    ops = {n.op_type for n in onnx.load(str(tmp_path / "int8.onnx")).graph.node}
    assert ("QuantizeLinear" in ops) if fmt == "qdq" else ("QLinearConv" in ops)
    fp = ondevice.predict(ondevice.open_session(str(tmp_path / "fp32.onnx")), calib)
    q = ondevice.predict(ondevice.open_session(str(tmp_path / "int8.onnx")), calib)
    assert np.corrcoef(fp.ravel(), q.ravel())[0, 1] > 0.9


def test_int8_keeps_named_op_types_in_fp32_and_shares_equal_constants(net, tmp_path):
    rng = np.random.default_rng(0)
    calib = rng.standard_normal((16, 3, 16, 16)).astype(np.float32)
    export_onnx(net, tmp_path / "fp32.onnx", calib[:4])
    quantize_int8(tmp_path / "fp32.onnx", tmp_path / "int8.onnx", calib,
                  quantize(format="qoperator", per_channel=False, calibration_method="minmax", reduce_range=False,
                           keep_fp32=["Add"], pre_process=False))
    graph = onnx.load(str(tmp_path / "int8.onnx")).graph
    ops = {n.op_type for n in graph.node}
    assert "Add" in ops and "QLinearAdd" not in ops and "QLinearConv" in ops
    blobs = [onnx.numpy_helper.to_array(i) for i in graph.initializer]
    distinct = {(b.dtype.str, b.shape, b.tobytes()) for b in blobs}
    assert len(distinct) == len(blobs)  # every constant stored once
    fp = ondevice.predict(ondevice.open_session(str(tmp_path / "fp32.onnx")), calib)
    q = ondevice.predict(ondevice.open_session(str(tmp_path / "int8.onnx")), calib)
    assert np.corrcoef(fp.ravel(), q.ravel())[0, 1] > 0.9
