"""A small learnable ImageFolder data set, made on the spot (tests use no real data)."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

CLASSES = ["red", "green", "blue", "gray"]


def make_images(n: int, size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Class k is a noisy image whose dominant colour is CLASSES[k], with a bright square at a
    class-dependent corner, so a small net learns it in a few epochs."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % len(CLASSES)
    x = rng.integers(0, 90, size=(n, size, size, 3)).astype(np.int32)
    for i, k in enumerate(y):
        if k < 3:
            x[i, :, :, k] += 120
        else:
            x[i] += 60
        q = size // 2
        r, c = divmod(int(k), 2)
        x[i, r * q:(r + 1) * q, c * q:(c + 1) * q] += 40
    return np.clip(x, 0, 255).astype(np.uint8), y


def write_imagefolder(root: Path, n_train: int = 320, n_test: int = 160, size: int = 20, seed: int = 0) -> Path:
    """train/<class>/*.png and test/<class>/*.png below ``root``."""
    for split, n, s in (("train", n_train, seed), ("test", n_test, seed + 1)):
        x, y = make_images(n, size, s)
        for i, (img, k) in enumerate(zip(x, y)):
            d = root / split / CLASSES[k]
            d.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(d / f"{i:05d}.png"), img[:, :, ::-1])  # RGB -> OpenCV's BGR
    return root
