"""The edge bundle: everything a device needs to benchmark and demo the INT8 model, by hand."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from ..device import demo, ondevice, overlay
from ..remote import write_sample

README = """# edgenas edge bundle

Copy this folder to the device (for example `scp -r results/edge <user>@raspberrypi.local:`), then there:

    python3 -m venv ~/edgenas && . ~/edgenas/bin/activate
    pip install -r requirements.txt

Benchmark (accuracy on the {n} test images in sample.npz, batch-1 latency):

    python ondevice.py {model} --data sample.npz --threads 1 0 --out result.json

Live demo on a camera (OpenCV index 0), or headless into an MP4:

    python demo.py --model {model} --source 0
    python demo.py --model {model} --source 0 --headless --out demo.mp4 --max-frames 300

`labels.json` holds the class names and the normalisation, which `{model}` also carries in
its metadata. Neither program needs torch.
"""


def write_edge_bundle(out_dir: str | Path, model: str, stats: dict, images: np.ndarray, labels: np.ndarray) -> None:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    shutil.copy(model, out / Path(model).name)
    for program in (ondevice, overlay, demo):
        shutil.copy(program.__file__, out / Path(program.__file__).name)
    (out / "labels.json").write_text(json.dumps(
        {k: stats[k] for k in ("classes", "mean", "std", "image_size")}, indent=2))
    write_sample(out / "sample.npz", images, labels, stats["mean"], stats["std"])
    (out / "requirements.txt").write_text("numpy\nonnxruntime\nopencv-python-headless\n")
    (out / "README.md").write_text(README.format(model=Path(model).name, n=len(labels)))
