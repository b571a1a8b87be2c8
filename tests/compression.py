"""The compression chain every search space's nets must go through, at smoke size."""
from pathlib import Path

import numpy as np
import torch


def assert_compression_chain(net: torch.nn.Module, int8: dict, tmp_path: Path) -> None:
    """One training step, then torch-pruning's dependency graph (residual adds, max-pools), ONNX export
    and the INT8 quantizer: the pruned net loses half its parameters and its INT8 file follows FP32."""
    from edgenas.export import export_onnx
    from edgenas.compression.prune import prune_channels
    from edgenas.quantize import quantize_int8
    from edgenas.device import ondevice
    from edgenas.settings import Quantize

    x, y = torch.randn(8, 3, 16, 16), torch.randint(0, 4, (8,))
    loss = torch.nn.functional.cross_entropy(net(x), y)
    loss.backward()
    torch.optim.SGD(net.parameters(), lr=0.1).step()
    assert torch.isfinite(loss)
    net.eval()
    before = sum(p.numel() for p in net.parameters())
    prune_channels(net, 16, ratio=0.5, importance="l2", global_pruning=False, round_to=16)
    assert sum(p.numel() for p in net.parameters()) < 0.5 * before
    inputs = np.random.default_rng(0).standard_normal((32, 3, 16, 16)).astype(np.float32)
    export_onnx(net, tmp_path / "m.onnx", inputs[:4])
    quantize_int8(tmp_path / "m.onnx", tmp_path / "q.onnx", inputs, Quantize(**int8))
    fp32 = ondevice.predict(ondevice.open_session(str(tmp_path / "m.onnx")), inputs)
    q = ondevice.predict(ondevice.open_session(str(tmp_path / "q.onnx")), inputs)
    assert np.corrcoef(fp32.ravel(), q.ravel())[0, 1] > 0.9  # INT8 follows FP32
