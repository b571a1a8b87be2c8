"""What the emulated ARM64 target costs, and what it changes: the same ONNX files on this
machine and under QEMU (edgenas emulated-python), side by side in one run.

    python benchmarks/arm_emulation.py [--images 64] [--cache resources/emulator]

ResNet-20 and MobileNetV2-CIFAR (untrained weights, CIFAR size), FP32 and INT8 as the default
config quantizes them, predict ``--images`` random images here and on the emulated Cortex-A76.
Per file: MAC rate here and emulated, the slowdown, and how far the logits lie apart (FP32 should
agree to rounding; INT8 kernels differ between x86 and ARM). What a user needs to size an
emulated target's ``device_images``.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import yaml

from edgenas.device import ondevice
from edgenas.measurement.emulator import build
from edgenas.search.latency import export_pair
from edgenas.nets import mobilenetv2_cifar, resnet20

CONFIG = yaml.safe_load((Path(__file__).parents[1] / "config/config.yaml").read_text())
INT8 = {k: v for k, v in CONFIG["quantize"].items() if k != "calibration_method"}
DEVICE = """
import json, sys, time
import numpy as np
sys.path.insert(0, sys.argv[1])
import ondevice
x = np.load(sys.argv[2])
out = {}
for path in sys.argv[3:]:
    session = ondevice.open_session(path)
    start = time.perf_counter()
    logits = ondevice.predict(session, x)
    out[path] = time.perf_counter() - start
    np.save(path + ".arm.npy", logits)
print(json.dumps(out))
"""

parser = argparse.ArgumentParser()
parser.add_argument("--images", type=int, default=64)
parser.add_argument("--cache", default="resources/emulator")
args = parser.parse_args()
python = build(args.cache)
torch.manual_seed(0)
rng = np.random.default_rng(0)
folder = Path(tempfile.mkdtemp())
files, macs = [], {}
for name, net in (("resnet20", resnet20(10)), ("mobilenetv2", mobilenetv2_cifar(10))):
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter, torch.no_grad():
        net.eval()(torch.zeros(1, 3, 32, 32))
    fp32, int8 = export_pair(net, (3, 32, 32), folder, name, INT8, rng)
    files += [fp32, int8]
    macs[fp32] = macs[int8] = counter.get_total_flops() / 2
x = rng.standard_normal((args.images, 3, 32, 32)).astype(np.float32)
np.save(folder / "x.npy", x)
host = {}
for path in files:
    session = ondevice.open_session(path)
    start = time.perf_counter()
    np.save(path + ".x86.npy", ondevice.predict(session, x))
    host[path] = time.perf_counter() - start
proc = subprocess.run([str(python), "-c", DEVICE, str(Path(ondevice.__file__).parent), str(folder / "x.npy"), *files],
                      capture_output=True, text=True, check=True)
arm = json.loads(proc.stdout.strip().splitlines()[-1])
print(f"{args.images} images, batch 256, every core here ({ondevice.cpu_name()}) and under QEMU (cortex-a76)")
print(f"{'file':24} {'MMACs':>7} {'here GMAC/s':>12} {'emulated GMAC/s':>16} {'slowdown':>9} {'max |logit diff|':>17} "
      f"{'same top-1':>10}")
for path in files:
    a, b = np.load(path + ".x86.npy"), np.load(path + ".arm.npy")
    total = macs[path] * args.images
    print(f"{Path(path).name:24} {macs[path] / 1e6:7.1f} {total / host[path] / 1e9:12.2f} {total / arm[path] / 1e9:16.3f} "
          f"{arm[path] / host[path]:8.0f}x {np.abs(a - b).max():17.2e} {(a.argmax(1) == b.argmax(1)).mean():10.1%}")
