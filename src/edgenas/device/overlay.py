"""What the demo draws on its frames and cards, in the run's words: the labels, the speed, the running
accuracy, the title cards. OpenCV's own font where the words are ASCII, a TrueType font through Pillow
where they need other letters (Vietnamese's). Device side: numpy and OpenCV (Pillow for such a font)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Words:
    """What the video says on its frames and closing card: the workflow passes its language's
    (``words.<language>.yaml``, ``video:``), a device program these. ``classes`` renames the data
    set's classes; ``font`` is a TrueType file with the language's letters (OpenCV's own font has
    ASCII only)."""

    speed: str = "{ms} ms  {fps} FPS"
    running: str = "accuracy {accuracy} % of {frames}"
    measured: str = "measured in this video: {ms} ms p50, {fps} FPS end to end"
    classes: dict = field(default_factory=dict)
    decimal: str = "."
    font: str | None = None

    @classmethod
    def of_catalogue(cls, words: dict, font: str | None = None) -> "Words":
        """A language's catalogue (``words.<language>.yaml``) as the demo's words."""
        v = words["video"]
        return cls(speed=v["speed"], running=v["running"], measured=v["measured"], classes=v.get("classes") or {},
                   decimal=words["decimal"], font=font)

    def number(self, value: float, digits: int) -> str:
        return f"{value:.{digits}f}".replace(".", self.decimal)


class Pen:
    """Text on a BGR picture, in OpenCV's font, or in a TrueType font through Pillow where the words
    need letters OpenCV lacks. Sizes are OpenCV's font scales in both."""

    def __init__(self, font: str | None = None):
        self.font = font
        self._faces: dict[int, object] = {}

    def _face(self, scale: float):
        from PIL import ImageFont

        px = max(8, round(26 * scale))  # about the height of OpenCV's letters at that scale
        if px not in self._faces:
            self._faces[px] = ImageFont.truetype(self.font, px)
        return self._faces[px]

    def size(self, text: str, scale: float, thickness: int = 1) -> tuple[int, int, int]:
        """Width, height above the baseline and depth below it, in pixels."""
        import cv2

        if self.font is None:
            (w, h), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
            return w, h, base
        left, top, right, bottom = self._face(scale).getbbox(text or " ", anchor="ls")
        return right - left, -top, max(0, bottom)

    def write(self, picture: np.ndarray, text: str, x: int, y: int, scale: float, colour: tuple[int, int, int],
              thickness: int = 1) -> None:
        """``text`` with its baseline's start at (x, y), in place."""
        import cv2

        if self.font is None:
            cv2.putText(picture, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, colour, thickness, cv2.LINE_AA)
            return
        from PIL import Image, ImageDraw

        image = Image.fromarray(np.ascontiguousarray(picture[:, :, ::-1]))
        ImageDraw.Draw(image).text((x, y), text, font=self._face(scale), fill=colour[::-1], anchor="ls",
                                   stroke_width=max(0, thickness - 1), stroke_fill=colour[::-1])
        picture[:] = np.asarray(image)[:, :, ::-1]


def annotate(frame: np.ndarray, probs: np.ndarray, classes: list[str], speed: str, top_k: int, height: int,
             extra: str | None = None, pen: Pen | None = None) -> np.ndarray:
    """The RGB frame as OpenCV's BGR, scaled to ``height`` pixels, with the top-k labels, the
    ``speed`` line (latency and FPS) and ``extra`` (the running accuracy), ready to show or write."""
    import cv2

    pen = pen or Pen()
    h, w = frame.shape[:2]
    out = cv2.resize(np.ascontiguousarray(frame[:, :, ::-1]), (max(1, round(w * height / h)), height),
                     interpolation=cv2.INTER_NEAREST)
    order = np.argsort(probs)[::-1][:top_k]
    lines = [f"{classes[i]} {probs[i]:.0%}" for i in order] + [speed] + ([extra] if extra else [])
    for n, text in enumerate(lines):
        y, scale = 22 + 22 * n, 0.6
        while pen.size(text, scale)[0] > out.shape[1] - 10 and scale > 0.3:  # a long line shrinks to fit
            scale -= 0.05
        w, h, base = pen.size(text, scale)
        # a dark box behind the text: an outline drawn thicker is also wider, and left ghost letters
        shade = out[max(0, y - h - 4):y + base, 2:8 + w]
        shade[:] = (shade * 0.35).astype(out.dtype)
        pen.write(out, text, 6, y, scale, (0, 255, 0) if n == 0 else (255, 255, 255))
    return out


def card(lines: list[str], width: int, height: int, pen: Pen | None = None) -> np.ndarray:
    """A title card (BGR): the first line large, the others below it, on a dark background. Long lines
    wrap at spaces; where the lines would run past the bottom (a 256-pixel frame holds about nine), every
    line is set smaller until all of them fit."""
    pen = pen or Pen()
    for shrink in (1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.45, 0.4):
        placed, y = _layout(lines, width, pen, shrink, top=max(30, height // 10))
        if y - 10 <= height:
            break
    out = np.full((height, width, 3), 24, np.uint8)
    for n, row, row_y, row_scale, thickness in placed:
        pen.write(out, row, 10, row_y, row_scale, (255, 255, 255) if n else (80, 220, 80), thickness)
    return out


def _layout(lines: list[str], width: int, pen: Pen, shrink: float, top: int) -> tuple[list[tuple], int]:
    """Where each wrapped row of ``lines`` goes at ``shrink`` times the card's text sizes, and the y
    below the last row."""
    placed, y = [], top
    for n, text in enumerate(lines):
        scale, thickness = (0.9 * shrink, 2) if n == 0 else (0.55 * shrink, 1)

        def fits(t: str, s: float = scale) -> bool:
            return pen.size(t, s, thickness)[0] <= width - 20

        rows = [""]
        for word in text.split(" "):  # long lines wrap at spaces; a word too long for a row shrinks below
            joined = f"{rows[-1]} {word}".strip()
            if fits(joined) or not rows[-1]:
                rows[-1] = joined
            else:
                rows.append(word)
        for row in rows:
            row_scale = scale
            while not fits(row, row_scale) and row_scale > 0.25:
                row_scale -= 0.05
            placed.append((n, row, y, row_scale, thickness))
            y += int(34 * row_scale + 10)
    return placed, y
