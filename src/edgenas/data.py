"""Data sets decoded once into uint8 arrays, and fast batched loaders over them.

Every stage reads the same cache (``.npz`` with ``x`` uint8 NHWC, ``y`` int64 and the
class names), so no epoch decodes an image again, and train/val/calibration subsets
are index lists derived from one seed.
"""
from __future__ import annotations

import shutil
import tarfile
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import torch
from torch.utils.data import (
    BatchSampler,
    DataLoader,
    Dataset,
    RandomSampler,
    SequentialSampler,
)

from .device.ondevice import (  # one geometry step, one list of images, as on a device
    IMAGE_SUFFIXES,
    fit_image,
)
from .errors import DataSetError

SPLITS = ("train", "test")


@dataclass
class ImageArrays:
    """Decoded images of one split: ``x`` uint8 (N, H, W, 3), ``y`` int64 (N,), and the per-channel
    ``mean`` and ``std`` (of [0, 1] pixels) that normalise them: the data set's training split's,
    for every split. They travel with the images, so the loader (``BatchedImages``) owns
    normalisation; a set built without them normalises by its own statistics."""

    x: np.ndarray
    y: np.ndarray
    classes: list[str]
    mean: list[float] | None = None
    std: list[float] | None = None

    def __post_init__(self) -> None:
        if self.mean is None or self.std is None:
            self.mean, self.std = channel_stats(self.x)

    def subset(self, idx: np.ndarray) -> "ImageArrays":
        """The images at ``idx``, normalised as the whole set is."""
        return ImageArrays(self.x[idx], self.y[idx], self.classes, self.mean, self.std)

    def save(self, path: str | Path) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as f:  # np.savez would append .npz to a name without it
            np.savez(f, x=self.x, y=self.y, classes=np.array(self.classes), mean=np.array(self.mean),
                     std=np.array(self.std))

    @classmethod
    def load(cls, path: str | Path) -> "ImageArrays":
        with np.load(path) as z:
            if "mean" not in z:
                raise DataSetError(f"{path}: decoded by an older edgenas, without the training split's mean and std; "
                                   "decode it again: snakemake --cores all --forcerun prepare_data")
            return cls(x=z["x"], y=z["y"].astype(np.int64), classes=[str(c) for c in z["classes"]],
                       mean=z["mean"].tolist(), std=z["std"].tolist())


def normalised_by_train(x: dict[str, np.ndarray], y: dict[str, np.ndarray], classes: list[str]) -> dict[str, ImageArrays]:
    """Every split, normalised by the training split's statistics (a test set's own would leak)."""
    mean, std = channel_stats(x["train"])
    return {split: ImageArrays(x[split], y[split], classes, mean, std) for split in SPLITS}


def decode_image(blob: bytes) -> np.ndarray:
    """Encoded image bytes to RGB uint8 (OpenCV, as the demo decodes camera and file frames)."""
    import cv2

    bgr = cv2.imdecode(np.frombuffer(blob, np.uint8), cv2.IMREAD_COLOR)
    if bgr is None:
        raise ValueError("not a readable image")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def load_cifar10(root: str | Path, download: bool, image_size: int) -> dict[str, ImageArrays]:
    """CIFAR-10 through torchvision: reads ``root/cifar-10-batches-py`` or downloads it. A failed
    download (no network, say) leaves nothing half made and says what to do instead."""
    from torchvision.datasets import CIFAR10

    root = Path(root)
    made = [] if root.exists() else [root]  # what a failed attempt must not leave behind
    archive = root / "cifar-10-python.tar.gz"
    if root.exists() and not archive.exists():
        made.append(archive)
    x, y = {}, {}
    try:
        for split in SPLITS:
            ds = CIFAR10(str(root), train=split == "train", download=download)
            x[split], y[split], classes = ds.data, np.asarray(ds.targets, dtype=np.int64), list(ds.classes)
            if image_size != x[split].shape[1]:
                x[split] = np.stack([fit_image(a, image_size) for a in x[split]])
    except (RuntimeError, OSError, EOFError, tarfile.TarError) as err:  # urllib's URLError is an OSError
        for path in made:
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
        reason = str(getattr(err, "reason", None) or err).splitlines()[0]
        tried = f"the download failed ({reason})" if download else "download is off (data.download: false)"
        raise DataSetError(
            f"data_root {str(root)!r}: no CIFAR-10 there (a cifar-10-batches-py folder) and {tried}. Either copy "
            f"cifar-10-batches-py into {str(root)!r}, or point data_root at the folder that holds it: snakemake "
            f"--cores 4 --config data_root=/path/to/folder \"data={{download: false}}\"; an ImageFolder copy works "
            f"too: --config data_root=/path/to/cifar10.tar.gz \"data={{dataset: imagefolder}}\"."
        ) from None
    return normalised_by_train(x, y, classes)


def _imagefolder_members(root: Path) -> Iterator[tuple[str, str, bytes, str]]:
    """Yield (split, class, encoded bytes, member name) from an ImageFolder tree or a tar of one.

    The ``train``/``test`` folders may sit below one top-level folder, as in
    ``cifar10-jpeg/train/<class>/…``.
    """
    def parse(parts: tuple[str, ...]) -> tuple[str, str] | None:
        for i, p in enumerate(parts[:-2]):
            if p in SPLITS and i + 2 == len(parts) - 1:
                return p, parts[i + 1]
        return None

    if root.is_dir():
        for path in sorted(root.rglob("*")):
            if path.suffix.lower() in IMAGE_SUFFIXES and path.is_file():
                hit = parse(path.relative_to(root).parts)
                if hit:
                    yield hit[0], hit[1], path.read_bytes(), str(path)
    elif tarfile.is_tarfile(root):
        try:
            with tarfile.open(root) as tar:
                for member in tar:
                    if member.isfile() and Path(member.name).suffix.lower() in IMAGE_SUFFIXES:
                        hit = parse(Path(member.name).parts)
                        if hit:
                            yield hit[0], hit[1], tar.extractfile(member).read(), member.name
        except (EOFError, OSError, tarfile.TarError, zlib.error) as err:
            raise DataSetError(f"data_root {str(root)!r}: the archive is truncated or corrupt ({err}); download or "
                               "copy it again") from None
    else:
        raise DataSetError(f"data_root {str(root)!r} is neither a folder nor a .tar/.tar.gz archive")


def _class_folders(root: Path) -> dict[str, set[str]]:
    """Class folder names under ``train/`` and ``test/``, empty ones included."""
    found: dict[str, set[str]] = {s: set() for s in SPLITS}
    if root.is_dir():
        names = [p.relative_to(root).parts for p in root.rglob("*") if p.is_dir()]
    else:
        with tarfile.open(root) as tar:
            names = [Path(m.name).parts for m in tar if m.isdir()]
    for parts in names:
        for i, part in enumerate(parts[:-1]):
            if part in SPLITS and i + 2 == len(parts):
                found[part].add(parts[-1])
    return found


class DataSetWarning(UserWarning):
    """Something in the data set that is probably a mistake but leaves the results valid."""


def load_imagefolder(root: str | Path, image_size: int) -> dict[str, ImageArrays]:
    """An ImageFolder data set (``train/<class>/…`` and ``test/<class>/…``), any image size."""
    root = Path(root)
    if not root.exists():
        raise DataSetError(f"data_root {str(root)!r} does not exist")
    images: dict[str, list[np.ndarray]] = {s: [] for s in SPLITS}
    names: dict[str, list[str]] = {s: [] for s in SPLITS}
    for split, cls, blob, name in _imagefolder_members(root):
        try:
            images[split].append(fit_image(decode_image(blob), image_size))
        except ValueError as err:
            raise DataSetError(f"data_root {str(root)!r}: {name}: {err}") from None
        names[split].append(cls)
    for split in SPLITS:
        if not images[split]:
            raise DataSetError(f"data_root {str(root)!r}: no images under a '{split}/<class>/' folder")
    classes = sorted(set(names["train"]))
    if len(classes) < 2:
        raise DataSetError(f"data_root {str(root)!r}: {len(classes)} class ({', '.join(classes)}) under train/; "
                           "a classifier needs at least 2 class folders")
    unknown = set(names["test"]) - set(classes)
    if unknown:
        raise DataSetError(f"data_root {str(root)!r}: test classes {sorted(unknown)} have no training images")
    untested = sorted(set(classes) - set(names["test"]))
    if untested:
        warnings.warn(f"data_root {str(root)!r}: classes {untested} have training images but no test folder or "
                      "images: their test accuracy is not measured", DataSetWarning)
    for split, folders in _class_folders(root).items():
        empty = sorted(folders - set(names[split]))
        if empty:
            warnings.warn(f"data_root {str(root)!r}: {split}/ class folders {empty} hold no images "
                          f"({', '.join(sorted(IMAGE_SUFFIXES))}); they are left out", DataSetWarning)
    index = {c: i for i, c in enumerate(classes)}
    return normalised_by_train({s: np.stack(images[s]) for s in SPLITS},
                               {s: np.array([index[c] for c in names[s]], dtype=np.int64) for s in SPLITS}, classes)


def load_dataset(dataset: str, root: str | Path, image_size: int, download: bool = False) -> dict[str, ImageArrays]:
    """Decode a whole data set into memory; ``dataset`` is ``cifar10`` or ``imagefolder``."""
    if dataset == "cifar10":
        return load_cifar10(root, download, image_size)
    if dataset == "imagefolder":
        return load_imagefolder(root, image_size)
    raise DataSetError(f"data.dataset: unknown data set {dataset!r} (cifar10 or imagefolder)")


def describe_source(dataset: str, root: str | Path) -> dict:
    """Where the images came from and in which file formats, for the report: a JPEG copy of
    CIFAR-10 is lossy and scores a little below the original."""
    from collections import Counter

    if dataset == "cifar10":
        return {"dataset": "cifar10", "root": str(root), "formats": {"cifar-10-batches-py (lossless)": 60000}}
    root = Path(root)
    if root.is_dir():
        names = [str(p) for p in root.rglob("*") if p.is_file()]
    else:
        with tarfile.open(root) as tar:
            names = [m.name for m in tar if m.isfile()]
    formats = Counter(Path(n).suffix.lower() for n in names if Path(n).suffix.lower() in IMAGE_SUFFIXES)
    return {"dataset": dataset, "root": str(root), "formats": dict(formats)}


def channel_stats(x: np.ndarray) -> tuple[list[float], list[float]]:
    """Per-channel mean and std of uint8 images, scaled to [0, 1]."""
    flat = x.reshape(-1, x.shape[-1]).astype(np.float64) / 255.0
    return flat.mean(0).tolist(), flat.std(0).tolist()


def take(arrays: ImageArrays, limit: int, seed: int) -> ImageArrays:
    """A seeded random subset of ``limit`` images (0 = all); folders load sorted by class,
    so the first N would not do."""
    if limit <= 0 or limit >= len(arrays.y):
        return arrays
    idx = np.sort(np.random.default_rng(seed + 2).choice(len(arrays.y), size=limit, replace=False))
    return arrays.subset(idx)


def load_test_subset(test_npz: str | Path, *, seed: int, limit: int) -> ImageArrays:
    """The test images every accuracy of the run is measured on (``data.test_limit`` of them,
    0 = all), and from which the device sample, the demo stream and the edge bundle draw."""
    return take(ImageArrays.load(test_npz), limit, seed)


def calibration_indices(train_idx: np.ndarray, size: int, seed: int) -> np.ndarray:
    """A seeded subset of the training split, for INT8 calibration."""
    rng = np.random.default_rng(seed + 1)
    return np.sort(rng.choice(train_idx, size=min(size, len(train_idx)), replace=False))


def translation_pixels(translate: int | None, side: int) -> int:
    """How far training images shift: ``translate`` pixels, or an eighth of the side (4 on CIFAR)."""
    return max(1, side // 8) if translate is None else translate


class BatchedImages(Dataset):
    """Indexed by a list of indices, returns a whole normalised (and augmented) batch.

    Augmentation runs on batched tensors (random translation of up to ``translate`` pixels with
    reflect padding, default an eighth of the side; horizontal flip, at random or alternating by
    epoch; optional cutout), so there is no per-sample Python work and no worker processes.
    Batches come channels-last, the layout the training nets use.
    """

    def __init__(self, data: ImageArrays, indices: np.ndarray, *, augment: bool = False, cutout: int = 0,
                 translate: int | None = None, flip: str = "random", seed: int = 0):
        self.x = torch.from_numpy(np.ascontiguousarray(data.x[indices])).permute(0, 3, 1, 2).contiguous()
        self.y = torch.from_numpy(data.y[indices])
        self.mean = torch.tensor(data.mean).view(1, 3, 1, 1)
        self.std = torch.tensor(data.std).view(1, 3, 1, 1)
        self.augment = augment
        self.cutout = cutout
        self.pad = translation_pixels(translate, self.x.shape[-1])
        # alternating flip (airbench94): a fixed random half of the images is mirrored in even
        # epochs and the other half in odd ones, so every image is seen both ways every two epochs
        self.alternating = flip == "alternating"
        self.flipped = torch.rand(len(self.y), generator=torch.Generator().manual_seed(seed)) < 0.5
        self.epoch = 0  # set by the trainer (train.DataEpoch) for the alternating flip

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, idx):
        x = self.x[idx].float().div_(255.0)
        if self.augment:
            x = self._augment(x, idx)
        x = (x - self.mean) / self.std
        return x.contiguous(memory_format=torch.channels_last), self.y[idx]

    def _augment(self, x: torch.Tensor, idx) -> torch.Tensor:
        n, _, h, w = x.shape
        p = self.pad
        if p > 0:
            padded = torch.nn.functional.pad(x, (p, p, p, p), mode="reflect")
            dy = torch.randint(0, 2 * p + 1, (n,))
            dx = torch.randint(0, 2 * p + 1, (n,))
            rows = (dy.view(n, 1) + torch.arange(h).view(1, h)).view(n, 1, h, 1).expand(n, 3, h, w + 2 * p)
            x = padded.gather(2, rows)
            cols = (dx.view(n, 1) + torch.arange(w).view(1, w)).view(n, 1, 1, w).expand(n, 3, h, w)
            x = x.gather(3, cols)
        flip = self.flipped[idx] ^ bool(self.epoch % 2) if self.alternating else torch.rand(n) < 0.5
        x[flip] = x[flip].flip(3)
        if self.cutout > 0:
            cy = torch.randint(0, h, (n, 1, 1))
            cx = torch.randint(0, w, (n, 1, 1))
            yy = torch.arange(h).view(1, h, 1)
            xx = torch.arange(w).view(1, 1, w)
            half = self.cutout // 2
            mask = ((yy - cy).abs() <= half) & ((xx - cx).abs() <= half)
            x = x * (~mask).unsqueeze(1)
        return x


def make_loader(dataset: BatchedImages, batch_size: int, *, shuffle: bool, drop_last: bool = False,
                loader_cls=DataLoader, seed: int | None = None, pin_memory: bool = False) -> DataLoader:
    """A DataLoader that fetches whole batches at once (``batch_size=None`` + a batch sampler).

    ``loader_cls`` lets NNI pass its traced DataLoader; ``pin_memory`` speeds copies to a GPU.
    """
    generator = torch.Generator().manual_seed(seed) if seed is not None else None
    base = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
    return loader_cls(dataset, sampler=BatchSampler(base, batch_size, drop_last), batch_size=None,
                      pin_memory=pin_memory)
