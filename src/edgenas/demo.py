#!/usr/bin/env python3
"""Real-time classification demo of an ONNX model on a camera, a video file or an image folder.

Device side: needs numpy, onnxruntime and opencv-python-headless (no torch), and the file
``ondevice.py`` beside it. Shows the stream with the top-1 label, confidence, inference
latency and FPS, or, headless (no display), writes it to an MP4 and prints a summary.

    python demo.py --model int8.onnx --source 0                    # camera 0, live
    python demo.py --model int8.onnx --source clip.mp4 --out demo.mp4 --headless
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import sys
import time
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

try:
    from . import ondevice
except ImportError:  # run as a standalone file next to ondevice.py
    import ondevice

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}


class DemoError(RuntimeError):
    """A problem with the demo's input (source or model), told in words."""


def rgb(frame_bgr: np.ndarray) -> np.ndarray:
    """OpenCV reads BGR; every frame past the sources is RGB, as the model wants."""
    return np.ascontiguousarray(frame_bgr[:, :, ::-1])


def camera_frames(index: int, probe: int = 4) -> Iterator[np.ndarray]:
    """RGB frames of an OpenCV camera; when it does not open, says which ones were tried."""
    import cv2

    cap = cv2.VideoCapture(index)
    if not cap.isOpened():
        tried = [index]
        for other in range(probe):  # say whether any other camera would have answered
            if other != index:
                tried.append(other)
                alt = cv2.VideoCapture(other)
                if alt.isOpened():
                    alt.release()
                    raise DemoError(f"camera {index} not found; camera {other} answers (--source {other})")
        devices = sorted(glob.glob("/dev/video*"))
        raise DemoError(f"camera {index} not found: tried OpenCV indices {tried}; "
                        f"video devices present: {devices or 'none'}")
    try:
        while True:
            ok, frame = cap.read()
            if not ok:
                return
            yield rgb(frame)
    finally:
        cap.release()


def video_frames(path: str) -> Iterator[np.ndarray]:
    import cv2

    cap = cv2.VideoCapture(path)
    ok, frame = cap.read() if cap.isOpened() else (False, None)
    if not ok:
        cap.release()
        raise DemoError(f"{path}: not a readable video (OpenCV could not decode a frame)")
    try:
        while ok:
            yield rgb(frame)
            ok, frame = cap.read()
    finally:
        cap.release()


def folder_frames(path: str) -> Iterator[np.ndarray]:
    import cv2

    files = sorted(p for p in Path(path).rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise DemoError(f"{path}: no images ({', '.join(sorted(IMAGE_SUFFIXES))}) in this folder")
    for f in files:
        frame = cv2.imread(str(f), cv2.IMREAD_COLOR)
        if frame is None:
            raise DemoError(f"{f}: not a readable image")
        yield rgb(frame)


def open_source(source: str) -> Iterator[np.ndarray]:
    """RGB frames from a camera index, a video file or a folder of images."""
    if source.isdigit():
        return camera_frames(int(source))
    if os.path.isdir(source):
        return folder_frames(source)
    if os.path.isfile(source):
        return video_frames(source)
    raise DemoError(f"{source}: no such camera index, video file or image folder")


class Classifier:
    """An ONNX model with the preprocessing and class names stored in it by the export stage."""

    def __init__(self, model: str, threads: int = 0):
        self.session = ondevice.open_session(model, threads)
        meta = ondevice.model_metadata(self.session)
        missing = [k for k in ("classes", "mean", "std", "image_size") if k not in meta]
        if missing:
            raise DemoError(f"{model}: no {', '.join(missing)} in the model's metadata; export it with edgenas")
        self.classes, self.mean, self.std = meta["classes"], meta["mean"], meta["std"]
        self.size = int(meta["image_size"])
        shape = self.session.get_inputs()[0].shape
        if len(shape) != 4 or shape[1] != 3 or any(isinstance(d, int) and d != self.size for d in shape[2:]):
            raise DemoError(f"{model}: input shape {shape} does not match 3x{self.size}x{self.size} images")

    def __call__(self, frame: np.ndarray) -> tuple[np.ndarray, float]:
        """Class probabilities of one RGB frame, and the inference time in ms."""
        inputs = ondevice.normalize(ondevice.fit_image(frame, self.size)[None], self.mean, self.std)
        start = time.perf_counter()
        logits = ondevice.predict(self.session, inputs)[0]
        ms = (time.perf_counter() - start) * 1000.0
        if len(logits) != len(self.classes):
            raise DemoError(f"the model gives {len(logits)} outputs for {len(self.classes)} classes")
        e = np.exp(logits - logits.max())
        return e / e.sum(), ms


def annotate(frame: np.ndarray, probs: np.ndarray, classes: list[str], ms: float, fps: float,
             top_k: int, display: int) -> np.ndarray:
    """The RGB frame as OpenCV's BGR, scaled to ``display`` pixels high, with the top-k labels,
    latency and FPS, ready to show or write."""
    import cv2

    h, w = frame.shape[:2]
    out = cv2.resize(np.ascontiguousarray(frame[:, :, ::-1]), (max(1, round(w * display / h)), display),
                     interpolation=cv2.INTER_NEAREST)
    order = np.argsort(probs)[::-1][:top_k]
    lines = [f"{classes[i]} {probs[i]:.0%}" for i in order] + [f"{ms:.2f} ms  {fps:.1f} FPS"]
    for n, text in enumerate(lines):
        y = 22 + 22 * n
        cv2.putText(out, text, (6, y), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 3, cv2.LINE_AA)
        cv2.putText(out, text, (6, y), cv2.FONT_HERSHEY_SIMPLEX, 0.6,
                    (0, 255, 0) if n == 0 else (255, 255, 255), 1, cv2.LINE_AA)
    return out


def display_available() -> bool:
    """Whether OpenCV can open a window here (the headless build never can)."""
    import cv2

    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return False
    try:
        cv2.namedWindow("edgenas")
        return True
    except cv2.error:
        return False


def run(frames: Iterable[np.ndarray], classifier: Classifier, *, out: str | None = None, show: bool = False,
        top_k: int = 1, display: int = 256, fps_out: float = 10.0, max_frames: int = 0) -> dict:
    """Classify a stream of RGB frames; write it to ``out`` (MP4) and/or show it. Returns the summary."""
    import cv2

    writer, latencies, predictions = None, [], []
    start = time.perf_counter()
    fps = 0.0
    for n, frame in enumerate(frames):
        if max_frames and n >= max_frames:
            break
        probs, ms = classifier(frame)
        latencies.append(ms)
        predictions.append(int(probs.argmax()))
        picture = annotate(frame, probs, classifier.classes, ms, fps, top_k, display)
        if out:
            if writer is None:
                Path(out).parent.mkdir(parents=True, exist_ok=True)
                writer = cv2.VideoWriter(out, cv2.VideoWriter_fourcc(*"mp4v"), fps_out, picture.shape[1::-1])
                if not writer.isOpened():
                    raise DemoError(f"{out}: OpenCV cannot write an MP4 here")
            writer.write(picture)
        if show:
            cv2.imshow("edgenas", picture)
            if cv2.waitKey(1) & 0xFF in (ord("q"), 27):
                break
        fps = (n + 1) / (time.perf_counter() - start)
    seconds = time.perf_counter() - start
    if writer is not None:
        writer.release()
    if show:
        cv2.destroyAllWindows()
    if not latencies:
        raise DemoError("the source gave no frames")
    ms = np.asarray(latencies)
    return {"frames": len(latencies), "inference_ms_p50": float(np.percentile(ms, 50)),
            "inference_ms_p90": float(np.percentile(ms, 90)), "inference_ms_mean": float(ms.mean()),
            "end_to_end_fps": len(latencies) / seconds, "predictions": [classifier.classes[i] for i in predictions],
            "output": out}


def print_summary(summary: dict) -> None:
    """The summary without its per-frame predictions (they stay in the JSON file)."""
    print(json.dumps({k: v for k, v in summary.items() if k != "predictions"}, indent=2))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="edgenas demo", description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True, help="an .onnx file exported by edgenas (int8.onnx, finetuned.onnx, ...)")
    ap.add_argument("--source", default="0", help="camera index, video file or image folder (default: camera 0)")
    ap.add_argument("--out", help="write the annotated stream to this MP4 (default when headless: demo.mp4)")
    ap.add_argument("--summary", help="write the summary as JSON here")
    ap.add_argument("--headless", action="store_true", help="no window, even where a display exists")
    ap.add_argument("--top-k", type=int, default=3)
    ap.add_argument("--display", type=int, default=256, help="height of the shown / written frames in pixels")
    ap.add_argument("--fps", type=float, default=10.0, help="frame rate of the written MP4")
    ap.add_argument("--max-frames", type=int, default=0, help="stop after this many frames (0 = whole stream)")
    ap.add_argument("--threads", type=int, default=0)
    args = ap.parse_args(argv)
    show = not args.headless and display_available()
    out = args.out or (None if show else "demo.mp4")
    try:
        classifier = Classifier(args.model, args.threads)
        summary = run(open_source(args.source), classifier, out=out, show=show, top_k=args.top_k,
                      display=args.display, fps_out=args.fps, max_frames=args.max_frames)
    except DemoError as err:
        print(f"edgenas demo: {err}", file=sys.stderr)
        return 2
    if args.summary:
        Path(args.summary).write_text(json.dumps(summary, indent=2))
    print_summary(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
