"""INT8 settings against the CPU that runs them: accuracy on VNNI, AVX2 and Arm kernels, and speed here.

    python benchmarks/int8_isa.py --run <a finished run's folder> [--images 1000] [--cache resources/emulator]

Every FP32 file the workflow deploys as INT8 (``finetuned.onnx``, ``baseline.onnx``, each control's)
is quantized with the config's settings three ways: s8 weights in 8 bits (``w8``, ONNX Runtime's
default), in 7 bits (``w7``, ``reduce_range``) and u8 weights (``u8u8``). Each
INT8 file's top-1 predictions are taken on the same ``--images`` test images three ways: here (this
CPU's ISA), on QEMU's Haswell (AVX2, no VNNI: the saturating u8 x s8 kernels) and on QEMU's
Cortex-A76 (the Pi 5's dot-product kernels); here also on all the run's test images. Then the INT8
files are timed here, batch 1, in turn (``--rounds`` rounds), as ratios to ``w8``. Emulated latencies are not taken: they are QEMU's.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import yaml
from study_common import ROOT, interleaved_p50, session, threads_label

from edgenas.quantize import calibration_inputs, quantize_int8
from edgenas.data import ImageArrays
from edgenas.device import ondevice
from edgenas.measurement import emulator
from edgenas.remote import write_sample
from edgenas.settings import Quantize, Split

# the config's INT8 settings with 8-bit s8 weights (ONNX Runtime's default), 7-bit ones, and u8 weights
CANDIDATES = {"w8": {"reduce_range": False}, "w7": {"reduce_range": True},
              "u8u8": {"weight_type": "uint8", "reduce_range": False}}
REFERENCE = "w8"
EMULATED = ["haswell", "cortex-a76"]


def emulated_top1(python: Path, files: list[str], sample: Path, out: Path) -> dict[str, np.ndarray]:
    """Top-1 of each file on the sample, by the device program under an emulated Python."""
    program = Path(ondevice.__file__)
    proc = subprocess.run([str(python), str(program), "--data", str(sample), "--threads", "0", "--warmup", "0",
                           "--runs", "1", "--out", str(out), *files], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{python}: {proc.stderr[-2000:]}")
    rows = json.loads(out.read_text())["rows"]
    return {Path(r["model"]).stem: np.array(r["top1"]) for r in rows}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--run", required=True, help="a finished run's folder (results/models, resources/data)")
    ap.add_argument("--config", default=str(ROOT / "config" / "config.yaml"))
    ap.add_argument("--images", type=int, default=1000, help="test images scored under emulation")
    ap.add_argument("--cache", default=str(ROOT / "resources" / "emulator"), help="where the emulated Pythons are")
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--out", default="int8_isa.json")
    args = ap.parse_args()

    run = Path(args.run)
    config = yaml.safe_load(Path(args.config).read_text())
    models = run / "results" / "models"
    sources = [models / "finetuned.onnx", models / "baseline.onnx", *sorted(models.glob("control_*[!8].onnx"))]
    sources = [p for p in sources if p.exists() and not p.stem.endswith("_int8")]
    if not sources:
        raise SystemExit(f"{models}: no FP32 ONNX files; run the workflow there first")
    data = run / "resources" / "data"
    stats = json.loads((data / "stats.json").read_text())
    test = ImageArrays.load(data / "test.npz")
    inputs = ondevice.normalize(test.x, stats["mean"], stats["std"])
    sample_idx = np.sort(np.random.default_rng(0).choice(len(test.y), min(args.images, len(test.y)), replace=False))
    calibration = calibration_inputs(str(data / "train.npz"), stats, config["data"]["calibration_size"],
                                     Split.from_config(config))
    pythons = {cpu: emulator.build(args.cache, cpu) for cpu in EMULATED}
    isa_here = ondevice.isa()

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        files: dict[str, str] = {}
        for src in sources:
            files[f"{src.stem}.fp32"] = str(src)
            for name, change in CANDIDATES.items():
                path = tmp / f"{src.stem}.{name}.onnx"
                quantize_int8(src, path, calibration, Quantize(**{**config["quantize"], **change}))
                files[f"{src.stem}.{name}"] = str(path)
        sample = tmp / "sample.npz"
        write_sample(sample, test.x[sample_idx], test.y[sample_idx], stats["mean"], stats["std"])
        every = {k: ondevice.top1(v, inputs) for k, v in files.items()}  # all test images, here
        full = {k: float((p == test.y).mean()) for k, p in every.items()}
        top1 = {isa_here: {k: p[sample_idx] for k, p in every.items()}}
        int8 = {k: v for k, v in files.items() if not k.endswith(".fp32")}
        for cpu, python in pythons.items():  # INT8 only: QEMU's FP32 is software floating point, far slower
            by_stem = emulated_top1(python, list(int8.values()), sample, tmp / f"{cpu}.json")
            top1[cpu] = {k: by_stem[Path(v).stem] for k, v in int8.items()}
        p50 = {t: interleaved_p50({k: session(v, t) for k, v in int8.items()}, inputs[0], args.rounds, args.runs)
               for t in args.threads}

    y = test.y[sample_idx]
    result = {"isa_here": isa_here, "images": len(y), "all_images": len(test.y), "rows": []}
    print(f"ISA here: {isa_here}; emulated: {', '.join(EMULATED)}; {len(y)} test images each "
          f"(and all {len(test.y)} here)\n")
    head = f"{'file':<34} {'all here':>8}" + "".join(f" {c:>16}" for c in top1) + "  agree(a76, x86)"
    head += "".join(f" {'p50 ' + threads_label(t):>10} {'ratio':>6}" for t in args.threads)
    print(head)
    for k in files:
        accs = {c: float((top1[c][k] == y).mean()) for c in top1 if k in top1[c]}
        agree = {c: float((top1[c][k] == top1["cortex-a76"][k]).mean()) for c in top1
                 if c != "cortex-a76" and k in top1["cortex-a76"]}
        src, cand = k.rsplit(".", 1)
        row = {"file": k, "all_images_here": full[k], "accuracy": accs, "agreement_with_a76": agree}
        line = f"{k:<34} {full[k]:8.4f}" + "".join(f" {accs[c]:16.4f}" if c in accs else f" {'':>16}" for c in top1)
        line += "  " + "/".join(f"{agree[c]:.4f}" for c in agree)
        if k in int8:
            ref = f"{src}.{REFERENCE}"
            row["p50_ms"] = {threads_label(t): p50[t][k] for t in args.threads}
            line += "".join(f" {p50[t][k]:9.3f}ms {p50[t][ref] / p50[t][k]:5.2f}x" for t in args.threads)
        result["rows"].append(row)
        print(line)
    Path(args.out).write_text(json.dumps(result, indent=2))
    print(f"\nwritten: {args.out}")


if __name__ == "__main__":
    main()
