"""Headless demo on a generated video and an image folder; errors for a missing camera and bad inputs."""
import json

import cv2
import numpy as np
import pytest
import torch
from conftest import ARCH

from edgenas.export import export_checkpoint
from edgenas.device import ondevice
from edgenas.device.demo import Classifier, DemoError, main
from edgenas.model import build_model, save_checkpoint


@pytest.fixture(scope="module")
def model(arrays, tmp_path_factory):
    """A small net, exported with its preprocessing and class names in the ONNX metadata."""
    from edgenas.data import channel_stats

    tmp = tmp_path_factory.mktemp("demo")
    torch.manual_seed(0)
    spec = dict(family="darts", arch=ARCH, width=8, num_cells=3, num_classes=4)
    mean, std = channel_stats(arrays["train"].x)
    save_checkpoint(tmp / "m.pt", build_model(spec).eval(), spec, mean=mean, std=std,
                    classes=arrays["train"].classes, image_size=16)
    export_checkpoint(str(tmp / "m.pt"), str(tmp / "m.onnx"), arrays["test"].x[:4])
    return tmp / "m.onnx", mean, std


def read_video(path):
    cap = cv2.VideoCapture(str(path))
    frames = []
    ok, frame = cap.read()
    while ok:
        frames.append(frame)
        ok, frame = cap.read()
    return frames


def test_headless_on_image_folder_matches_evaluation(model, imagefolder, arrays, tmp_path):
    onnx_path, mean, std = model
    out, summary = tmp_path / "demo.mp4", tmp_path / "summary.json"
    assert main(["--model", str(onnx_path), "--source", str(imagefolder / "test"), "--headless",
                 "--out", str(out), "--summary", str(summary), "--height", "64"]) == 0
    result = json.loads(summary.read_text())
    frames = read_video(out)
    assert result["frames"] == len(frames) == 160
    assert frames[0].shape[:2] == (64, 64)
    # the folder is read in sorted order: class folders, then files, as the data stage reads it
    expected = ondevice.predict(ondevice.open_session(str(onnx_path), 0),
                                ondevice.normalize(arrays["test"].x, mean, std)).argmax(1)
    assert result["predictions"] == [arrays["test"].classes[i] for i in expected]
    assert result["inference_ms_p50"] <= result["inference_ms_p90"] and result["end_to_end_fps"] > 0


def test_headless_on_generated_video(model, tmp_path):
    onnx_path, _, _ = model
    video = tmp_path / "in.mp4"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), 10, (48, 36))
    rng = np.random.default_rng(0)
    for _ in range(12):
        writer.write(rng.integers(0, 255, (36, 48, 3), dtype=np.uint8))
    writer.release()
    out = tmp_path / "out.mp4"
    assert main(["--model", str(onnx_path), "--source", str(video), "--headless", "--out", str(out),
                 "--height", "72"]) == 0
    frames = read_video(out)
    assert len(frames) == 12 and frames[0].shape[:2] == (72, 96)


def test_clear_errors(model, tmp_path, capsys):
    onnx_path, _, _ = model
    assert main(["--model", str(onnx_path), "--source", "7", "--headless", "--out", str(tmp_path / "x.mp4")]) == 2
    err = capsys.readouterr().err
    assert "camera 7 not found" in err  # and, with no camera at all, which indices were tried
    (tmp_path / "bad.mp4").write_bytes(b"not a video")
    assert main(["--model", str(onnx_path), "--source", str(tmp_path / "bad.mp4"), "--headless"]) == 2
    assert "not a readable video" in capsys.readouterr().err
    assert not (tmp_path / "x.mp4").exists()
    assert main(["--model", str(tmp_path / "nope.onnx"), "--source", "x", "--headless"]) == 2
    assert "nope.onnx: no such file" in capsys.readouterr().err
    (tmp_path / "cut.onnx").write_bytes(onnx_path.read_bytes()[:300])  # a download cut short
    assert main(["--model", str(tmp_path / "cut.onnx"), "--source", "x", "--headless"]) == 2
    assert "cut.onnx: not a readable ONNX model" in capsys.readouterr().err


def test_input_shape_mismatch_is_refused(model, tmp_path):
    import onnx

    onnx_path, _, _ = model
    m = onnx.load(str(onnx_path))
    for p in m.metadata_props:
        if p.key == "edgenas.image_size":
            p.value = "32"
    onnx.save(m, str(tmp_path / "wrong.onnx"))
    with pytest.raises(DemoError, match="does not match 3x32x32"):
        Classifier(str(tmp_path / "wrong.onnx"))


def test_standalone_without_torch(model, tmp_path):
    """The demo file runs on a device with numpy, onnxruntime and OpenCV only."""
    import shutil
    import subprocess
    import sys

    from edgenas import device

    onnx_path, _, _ = model
    src = tmp_path / "bundle"
    src.mkdir()
    for name in ("demo.py", "ondevice.py", "overlay.py"):
        shutil.copy(f"{device.__path__[0]}/{name}", src / name)
    frames = tmp_path / "frames"
    frames.mkdir()
    for i in range(3):
        cv2.imwrite(str(frames / f"{i}.png"), np.full((20, 20, 3), 60 * i, np.uint8))
    # a device: no torch, no edgenas, no imageio-ffmpeg (OpenCV's MPEG-4 writer is the fallback)
    code = ("import sys; sys.modules['torch'] = None; sys.modules['edgenas'] = None; "
            "sys.modules['imageio_ffmpeg'] = None; sys.path.insert(0, sys.argv[1]); "
            "import demo; sys.exit(demo.main(sys.argv[2:]))")
    subprocess.run([sys.executable, "-c", code, str(src), "--model", str(onnx_path), "--source", str(frames),
                    "--headless", "--out", str(tmp_path / "o.mp4")], check=True, cwd=tmp_path)
    assert len(read_video(tmp_path / "o.mp4")) == 3


def test_long_card_lines_wrap_inside_the_frame():
    from edgenas.device.overlay import card

    long = "edgenas: the searched net, pruned, fine-tuned, INT8 on Intel(R) Xeon(R) Processor"
    wrapped, short = card([long, "target: local"], 240, 240), card(["edgenas", "target: local"], 240, 240)
    assert (wrapped[:, -8:] == 24).all()  # nothing drawn in the right margin: the title wrapped
    assert (wrapped[:, :-8] != 24).any(axis=2).sum() > (short != 24).any(axis=2).sum()  # and all of it is drawn


def test_a_title_card_with_many_lines_fits_the_default_height():
    """The opening card of a real run (eight lines, a long CPU name) at the demo's default 256 pixels: its
    text is set smaller until the last line is drawn inside the frame, with a dark margin below it."""
    from edgenas.device.overlay import Pen, _layout, card

    lines = ["edgenas: the searched net, pruned, fine-tuned, INT8", "CPU: AMD EPYC 9B14 96-Core Processor (x86-avx512-vnni)",
             "1 thread, ONNX Runtime 1.23.2", "size 0.430 MB, 96 k params, 12.3 M MACs",
             "accuracy 87.16 % on 10000 test images", "latency 0.201 ms (FP32 baseline 0.665 ms)",
             "FP32 baseline 87.87 %", "frames: test images, labelled by the model"]
    picture = card(lines, 455, 256)
    placed, bottom = _layout(lines, 455, Pen(), 1.0, top=30)
    assert bottom > 256  # at full size the lines would run off the frame
    drawn = np.where((picture != 24).any(axis=(1, 2)))[0]
    assert drawn.max() < 252 and len(placed) >= len(lines)


def test_the_videos_words_come_in_the_runs_language_with_a_font_for_its_letters():
    """Vietnamese cards and labels need letters OpenCV's font lacks: the catalogue brings its words, its
    decimal comma and the class names, and the pen a TrueType font that draws the diacritics."""
    import pandas as pd

    from edgenas.deliverables.cards import video_cards
    from edgenas.device.overlay import Pen, Words
    from edgenas.words import font_for, load_words

    vi, en = load_words("vi"), load_words("en")
    words = Words.of_catalogue(vi, font_for(vi))
    assert font_for(en) is None and words.font and words.decimal == "," and words.classes["airplane"] == "máy bay"
    face = Pen(words.font)._face(0.6)
    plain, marked = face.getbbox("o"), face.getbbox("ộ")  # a circumflex above, a dot below
    assert marked[1] < plain[1] and marked[3] > plain[3]
    row = {"model": "nas", "format": "onnx-int8", "threads": 1, "cpu": "CPU", "isa": "x86-avx2", "onnxruntime": "1",
           "size_mb": 0.5, "params": 1000, "macs": 2e6, "accuracy": 0.875, "test_images": 100, "latency_ms_p50": 0.25}
    bench = pd.DataFrame([dict(row, stage="int8"), dict(row, stage="baseline", format="onnx-fp32", latency_ms_p50=1.0)])
    opening, closing = video_cards(bench, vi)
    assert "87,50 %" in " ".join(opening) and "thiết bị đích" in " ".join(opening)
    assert closing[0] == vi["video"]["closing_title"] and "0,250 ms" in closing[-1]
    assert video_cards(bench, en)[0] != opening
