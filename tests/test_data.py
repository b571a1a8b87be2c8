import tarfile

import numpy as np
import pytest
import torch
from synthetic import CLASSES

from edgenas.data import (
    BatchedImages,
    ImageArrays,
    calibration_indices,
    fit_image,
    load_dataset,
    load_imagefolder,
    make_loader,
    take,
)
from edgenas.device.ondevice import normalize
from edgenas.errors import DataSetError
from edgenas.settings import split_indices


def test_imagefolder_folder_and_tar_agree(imagefolder, tmp_path):
    archive = tmp_path / "set.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(imagefolder, arcname="top")  # train/ and test/ one level down, as in the shared copy
    a = load_imagefolder(imagefolder, 16)
    b = load_dataset("imagefolder", archive, 16)
    assert a["train"].classes == sorted(CLASSES)
    for split in ("train", "test"):
        assert a[split].x.shape[1:] == (16, 16, 3)
        np.testing.assert_array_equal(a[split].x, b[split].x)
        np.testing.assert_array_equal(a[split].y, b[split].y)
    assert len(a["train"].y) == 320 and len(a["test"].y) == 160


def test_fit_image_resizes_and_centre_crops():
    img = np.zeros((30, 60, 3), dtype=np.uint8)
    img[:, 15:45] = 255  # the centre square of a wide image survives the crop
    out = fit_image(img, 16)
    assert out.shape == (16, 16, 3) and out.min() == 255
    square = img[:16, 15:31]
    assert fit_image(square, 16) is square  # already the right size: untouched


def test_unreadable_image_names_the_file(tmp_path):
    for split in ("train", "test"):
        (tmp_path / split / "a").mkdir(parents=True)
        (tmp_path / split / "a" / "broken.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(ValueError, match="broken.jpg"):
        load_imagefolder(tmp_path, 16)


def test_missing_root_names_the_key(tmp_path):
    with pytest.raises(DataSetError, match="data_root"):
        load_dataset("imagefolder", tmp_path / "nowhere", 16)
    with pytest.raises(DataSetError, match="data_root .*download is off"):
        load_dataset("cifar10", tmp_path, 32, download=False)
    with pytest.raises(DataSetError, match="data.dataset"):
        load_dataset("mnist", tmp_path, 32)


def test_cache_round_trip(arrays, tmp_path):
    path = tmp_path / "train.npz"
    arrays["train"].save(path)
    back = ImageArrays.load(path)
    np.testing.assert_array_equal(back.x, arrays["train"].x)
    assert back.classes == arrays["train"].classes
    assert (back.mean, back.std) == (arrays["train"].mean, arrays["train"].std)
    np.savez(tmp_path / "old.npz", x=back.x, y=back.y, classes=np.array(back.classes))  # before the statistics
    with pytest.raises(DataSetError, match=r"old.npz: .* --forcerun prepare_data"):
        ImageArrays.load(tmp_path / "old.npz")


def test_every_split_is_normalised_by_the_training_split(arrays):
    train, test = arrays["train"], arrays["test"]
    flat = train.x.reshape(-1, 3) / 255.0
    np.testing.assert_allclose(train.mean, flat.mean(0))
    np.testing.assert_allclose(train.std, flat.std(0))
    assert (test.mean, test.std) == (train.mean, train.std)
    assert (take(test, 10, 0).mean, train.subset(np.arange(5)).std) == (train.mean, train.std)


def test_split_is_seeded_and_disjoint():
    tr, va = split_indices(100, 0.2, seed=3)
    tr2, va2 = split_indices(100, 0.2, seed=3)
    np.testing.assert_array_equal(tr, tr2)
    assert len(va) == 20 and not set(tr) & set(va)
    assert len(split_indices(100, 0.2, seed=3, limit=10)[0]) == 10
    assert not np.array_equal(split_indices(100, 0.2, seed=4)[1], va)
    cal = calibration_indices(tr, 8, seed=3)
    assert len(cal) == 8 and set(cal) <= set(tr)


def test_take_is_a_class_balanced_random_subset(arrays):
    sub = take(arrays["test"], 40, seed=0)
    assert len(sub.y) == 40 and len(set(sub.y.tolist())) == 4
    assert take(arrays["test"], 0, seed=0) is arrays["test"]


def test_batches_match_numpy_normalisation_and_augment_keeps_shape(arrays):
    train = arrays["train"]
    mean, std = train.mean, train.std
    plain = BatchedImages(train, np.arange(8))
    x, y = plain[[0, 1, 2]]
    np.testing.assert_allclose(x.numpy(), normalize(train.x[:3], mean, std), atol=1e-5)
    aug = BatchedImages(train, np.arange(8), augment=True, cutout=4)
    xa, _ = aug[list(range(8))]
    assert xa.shape == (8, 3, 16, 16) and not torch.allclose(xa, plain[list(range(8))][0])
    batches = list(make_loader(plain, 3, shuffle=False))
    assert [len(b[1]) for b in batches] == [3, 3, 2]


def test_alternating_flip_mirrors_each_image_every_other_epoch(arrays):
    """airbench94's flip: a fixed random half of the images mirrored in even epochs, the other
    half in odd ones (no translation here, so only the flip acts)."""
    train = arrays["train"]
    plain, _ = BatchedImages(train, np.arange(32))[list(range(32))]
    images = BatchedImages(train, np.arange(32), augment=True, translate=0, flip="alternating", seed=3)
    epochs = []
    for epoch in range(3):
        images.epoch = epoch
        epochs.append(images[list(range(32))][0])
    mirrored = torch.tensor([torch.equal(e, p.flip(2)) for e, p in zip(epochs[0], plain)])
    assert torch.equal(epochs[1], epochs[0].flip(3)) and torch.equal(epochs[2], epochs[0])
    assert 0 < mirrored.sum() < 32 and all(torch.equal(e, p) for e, p, m in zip(epochs[0], plain, mirrored) if not m)


def test_offline_cifar_download_says_what_to_do_and_leaves_nothing(tmp_path, monkeypatch):
    """No network: one paragraph naming data_root and the three ways out, and no empty folder."""
    import urllib.error

    def offline(*args, **kwargs):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr("torchvision.datasets.cifar.download_and_extract_archive", offline)
    root = tmp_path / "resources" / "cifar10"
    with pytest.raises(DataSetError) as caught:
        load_dataset("cifar10", root, 32, download=True)
    message = str(caught.value)
    assert "the download failed ([Errno -3] Temporary failure in name resolution)" in message
    assert "cifar-10-batches-py" in message and "data_root=" in message and "data={download: false}" in message
    assert "dataset: imagefolder" in message and not root.exists()


def test_truncated_archive_is_named(imagefolder, tmp_path):
    archive = tmp_path / "set.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(imagefolder, arcname="top")
    archive.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    with pytest.raises(DataSetError, match=r"set.tar.gz': the archive is truncated or corrupt"):
        load_dataset("imagefolder", archive, 16)


def test_one_class_is_refused_and_odd_class_folders_are_named(tmp_path):
    import cv2

    from edgenas.data import DataSetWarning

    def image(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(path), np.full((8, 8, 3), 100, np.uint8))

    image(tmp_path / "one/train/cat/0.png")
    image(tmp_path / "one/test/cat/0.png")
    with pytest.raises(DataSetError, match="1 class \\(cat\\) under train/; a classifier needs at least 2"):
        load_imagefolder(tmp_path / "one", 8)
    for cls in ("cat", "dog"):
        image(tmp_path / f"odd/train/{cls}/0.png")
    image(tmp_path / "odd/test/cat/0.png")
    (tmp_path / "odd/train/bird").mkdir()
    with pytest.warns(DataSetWarning) as warned:
        arrays = load_imagefolder(tmp_path / "odd", 8)
    text = " ".join(str(w.message) for w in warned)
    assert "classes ['dog'] have training images but no test" in text and "class folders ['bird'] hold no images" in text
    assert arrays["train"].classes == ["cat", "dog"]


def test_translation_defaults_to_an_eighth_of_the_side():
    """The paper states the shift the training used: ``translate`` pixels, or an eighth of the side."""
    from edgenas.data import translation_pixels

    assert translation_pixels(None, 32) == 4 and translation_pixels(None, 4) == 1 and translation_pixels(2, 32) == 2
    assert translation_pixels(0, 32) == 0  # no translation
