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
    from .overlay import Pen, Words, annotate, card
except ImportError:  # run as a standalone file next to ondevice.py and overlay.py
    import ondevice
    from overlay import Pen, Words, annotate, card



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

    files = sorted(p for p in Path(path).rglob("*") if p.suffix.lower() in ondevice.IMAGE_SUFFIXES)
    if not files:
        raise DemoError(f"{path}: no images ({', '.join(sorted(ondevice.IMAGE_SUFFIXES))}) in this folder")
    for f in files:
        frame = cv2.imread(str(f), cv2.IMREAD_COLOR)
        if frame is None:  # a GIF, where OpenCV's build lacks its image decoder: the first frame
            ok, frame = cv2.VideoCapture(str(f)).read()
            frame = frame if ok else None
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
        if not Path(model).is_file():
            raise DemoError(f"{model}: no such file (the model is an .onnx exported by edgenas, such as "
                            "results/models/int8.onnx)")
        try:
            self.session = ondevice.open_session(model, threads)
        except Exception as err:  # noqa: BLE001 (ONNX Runtime's load errors share no Python base class)
            raise DemoError(f"{model}: not a readable ONNX model ({str(err).splitlines()[0]})") from err
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


class VideoFile:
    """An MP4 writer: H.264 (yuv420p, which browsers, PowerPoint and QuickTime play) through the
    ffmpeg that imageio-ffmpeg ships, where it is installed; else OpenCV's MPEG-4 Part 2, which
    fewer players accept (a device with only numpy, onnxruntime and OpenCV)."""

    def __init__(self, path: str, fps: float, size: tuple[int, int]):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.codec = "h264"
        try:
            import imageio_ffmpeg
        except ImportError:
            import cv2

            self.codec, self._cv = "mpeg4 (install imageio-ffmpeg for H.264)", cv2.VideoWriter(
                path, cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
            if not self._cv.isOpened():
                raise DemoError(f"{path}: OpenCV cannot write an MP4 here") from None
            return
        self._cv = None
        self._ffmpeg = imageio_ffmpeg.write_frames(path, size, fps=fps, codec="libx264", pix_fmt_in="bgr24",
                                                   pix_fmt_out="yuv420p", macro_block_size=2, quality=8,
                                                   output_params=["-movflags", "+faststart"])
        self._ffmpeg.send(None)

    def write(self, picture_bgr: np.ndarray) -> None:
        if self._cv is not None:
            self._cv.write(picture_bgr)
        else:
            self._ffmpeg.send(np.ascontiguousarray(picture_bgr))

    def close(self) -> None:
        if self._cv is not None:
            self._cv.release()
        else:
            self._ffmpeg.close()


def run(frames: Iterable[np.ndarray], classifier: Classifier, *, out: str | None = None, show: bool = False,
        top_k: int = 1, height: int = 256, fps_out: float = 10.0, max_frames: int = 0,
        labels: Iterable[int] | None = None, opening: list[str] | None = None, closing: list[str] | None = None,
        card_seconds: float = 0.0, words: Words = Words()) -> dict:
    """Classify a stream of RGB frames; write it to ``out`` (MP4) and/or show it. Returns the summary.

    With ``labels`` (the true class of each frame) the running accuracy is shown too. With
    ``card_seconds`` > 0 the video opens with the ``opening`` card and closes with the ``closing``
    card, to which the latency and FPS measured here are added. ``words`` says it all."""
    import cv2

    pen = Pen(words.font)
    shown = [words.classes.get(c, c) for c in classifier.classes]
    writer, latencies, predictions = None, [], []
    truth = iter(labels) if labels is not None else None
    correct = 0
    start = time.perf_counter()
    fps = 0.0
    for n, frame in enumerate(frames):
        if max_frames and n >= max_frames:
            break
        probs, ms = classifier(frame)
        latencies.append(ms)
        predictions.append(int(probs.argmax()))
        extra = None
        if truth is not None:
            correct += int(predictions[-1] == next(truth))
            extra = words.running.format(accuracy=words.number(100 * correct / (n + 1), 1), frames=n + 1)
        speed = words.speed.format(ms=words.number(ms, 2), fps=words.number(fps, 1))
        picture = annotate(frame, probs, shown, speed, top_k, height, extra, pen)
        if out:
            if writer is None:
                writer = VideoFile(out, fps_out, picture.shape[1::-1])
                for _ in range(round(card_seconds * fps_out) if opening else 0):
                    writer.write(card(opening, *picture.shape[1::-1], pen))
            writer.write(picture)
        if show:
            cv2.imshow("edgenas", picture)
            if cv2.waitKey(1) & 0xFF in (ord("q"), 27):
                break
        fps = (n + 1) / (time.perf_counter() - start)
    seconds = time.perf_counter() - start
    if not latencies:
        raise DemoError("the source gave no frames")
    ms = np.asarray(latencies)
    summary = {"frames": len(latencies), "inference_ms_p50": float(np.percentile(ms, 50)),
               "inference_ms_p90": float(np.percentile(ms, 90)), "inference_ms_mean": float(ms.mean()),
               "end_to_end_fps": len(latencies) / seconds,
               "accuracy": correct / len(latencies) if truth is not None else None,
               "predictions": [classifier.classes[i] for i in predictions], "output": out,
               "codec": writer.codec if writer is not None else None}
    if writer is not None:
        if card_seconds > 0 and closing is not None:
            measured = [words.measured.format(ms=words.number(summary["inference_ms_p50"], 2),
                                              fps=words.number(summary["end_to_end_fps"], 0))]
            for _ in range(round(card_seconds * fps_out)):
                writer.write(card([*closing, *measured], *picture.shape[1::-1], pen))
        writer.close()
    if show:
        cv2.destroyAllWindows()
    return summary


def model_card(path: str, classifier: Classifier) -> list[str]:
    """What the demo's opening card says of a model on its own: file, size, classes, input."""
    return [f"edgenas demo: {Path(path).name}", f"{os.path.getsize(path) / 1e6:.2f} MB, {len(classifier.classes)} "
            f"classes, {classifier.size}x{classifier.size} input", f"on {ondevice.cpu_name()}"]


def print_summary(summary: dict) -> None:
    """The summary without its per-frame predictions (they stay in the JSON file)."""
    print(json.dumps({k: v for k, v in summary.items() if k != "predictions"}, indent=2))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="edgenas demo", description=__doc__.splitlines()[0],
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--model", required=True, help="an .onnx file exported by edgenas (int8.onnx, finetuned.onnx, ...)")
    ap.add_argument("--source", default="0", help="camera index, video file or image folder")
    ap.add_argument("--out", help="write the annotated stream to this MP4 (headless: demo.mp4 when not given)")
    ap.add_argument("--summary", help="also write the summary as JSON to this file")
    ap.add_argument("--headless", action="store_true", help="no window, even where a display exists")
    ap.add_argument("--top-k", type=int, default=3, help="labels shown per frame, most likely first")
    ap.add_argument("--height", type=int, default=256, help="height of the shown and written frames in pixels")
    ap.add_argument("--fps", type=float, default=10.0, help="frame rate of the written MP4")
    ap.add_argument("--max-frames", type=int, default=0, help="stop after this many frames (0: the whole stream)")
    ap.add_argument("--threads", type=int, default=0, help="ONNX Runtime threads (0: every core)")
    ap.add_argument("--card-seconds", type=float, default=0.0,
                    help="open and close the written video with a title card of this many seconds")
    args = ap.parse_args(argv)
    show = not args.headless and display_available()
    out = args.out or (None if show else "demo.mp4")
    try:
        classifier = Classifier(args.model, args.threads)
        summary = run(open_source(args.source), classifier, out=out, show=show, top_k=args.top_k,
                      height=args.height, fps_out=args.fps, max_frames=args.max_frames,
                      opening=model_card(args.model, classifier), closing=[f"edgenas demo: {Path(args.model).name}"],
                      card_seconds=args.card_seconds)
    except DemoError as err:
        print(f"edgenas demo: {err}", file=sys.stderr)
        return 2
    if args.summary:
        Path(args.summary).write_text(json.dumps(summary, indent=2))
    print_summary(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
