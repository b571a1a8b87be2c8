import numpy as np
import pytest
import torch
from conftest import ARCH, quantize

from edgenas.compression.prune import prune_channels
from edgenas.model import (
    build_model,
    count_macs_params,
    load_checkpoint,
    save_checkpoint,
)
from edgenas.search.spaces.darts import build_net


def test_add_cells_compute_what_nni_cells_compute():
    from nni.nas.nn.pytorch.cell import Cell

    torch.manual_seed(0)
    net = build_net(ARCH, width=8, num_cells=3, num_classes=4).eval()
    x = torch.randn(2, 3, 16, 16)
    ours = net(x)
    for m in net.modules():
        if isinstance(m, Cell):
            m.__class__ = Cell  # back to NNI's stack-and-sum forward
    torch.testing.assert_close(net(x), ours)


def test_classifier_follows_class_count():
    net = build_net(ARCH, width=8, num_cells=3, num_classes=4)
    assert net(torch.randn(1, 3, 16, 16)).shape == (1, 4)


def test_pruned_checkpoint_round_trip_weights_only(tmp_path):
    torch.manual_seed(0)
    spec = dict(family="darts", arch=ARCH, width=8, num_cells=3, num_classes=4)
    net = build_model(spec).eval()
    before = count_macs_params(net, 16)
    prune_channels(net, 16, ratio=0.5, importance="l2", global_pruning=False, round_to=0)
    after = count_macs_params(net, 16)
    assert after[0] < before[0] and after[1] < before[1]
    save_checkpoint(tmp_path / "p.pt", net, spec, image_size=16, mean=[0.5] * 3)
    loaded, spec2, meta = load_checkpoint(tmp_path / "p.pt")  # torch.load(weights_only=True) inside
    x = torch.randn(3, 3, 16, 16)
    torch.testing.assert_close(loaded(x), net(x))
    assert spec2["width"] == 8 and meta["image_size"] == 16
    assert count_macs_params(loaded, 16) == after
    assert not loaded.training and np.isfinite(loaded(x).detach().numpy()).all()


def test_paper_preset_builds_the_papers_3_3m_parameter_net():
    """DARTS-V2 at the paper preset's evaluation settings: 3.3M parameters (DARTS paper, table 1),
    counted without the auxiliary head, which only exists during training."""
    from pathlib import Path

    import yaml

    from edgenas.model import drop_auxiliary_head
    from edgenas.search.spaces.darts import DARTS_V2

    root = Path(__file__).resolve().parents[1]
    preset = yaml.safe_load((root / "config" / "presets" / "paper.yaml").read_text())["train"]["darts"]
    net = build_net(DARTS_V2, width=preset["width"], num_cells=preset["num_cells"], num_classes=10,
                    auxiliary=preset["auxiliary_weight"] > 0, drop_path=preset["drop_path"])
    assert net.auxiliary_loss
    params = sum(p.numel() for p in drop_auxiliary_head(net).parameters())
    assert round(params / 1e6, 1) == 3.3, params


DARTS_NET = {"width": 8, "num_cells": 3, "auxiliary": False, "drop_path": 0.0}


def test_controls_build_and_round_trip(tmp_path):
    """ResNet-20 has He et al.'s 0.27M parameters; MobileNetV2 keeps 32x32 inputs at 4x4 before
    pooling; a random DARTS architecture is reproducible by seed and saves as plain values."""
    from edgenas.controls import control_names, control_spec
    from edgenas.search.spaces.darts import random_arch

    assert control_names(["random", "resnet20"], [3, 4]) == ["random3", "random4", "resnet20"]
    assert random_arch(3) == random_arch(3) != random_arch(4)
    for name, params in [("resnet20", 0.27), ("mobilenetv2", 2.24), ("airbench94", 1.97), ("random3", None)]:
        spec = control_spec(name, 10, space="darts", darts_net=DARTS_NET)
        net = build_model(spec).eval()
        if params:
            assert round(sum(p.numel() for p in net.parameters()) / 1e6, 2) == params
        save_checkpoint(tmp_path / f"{name}.pt", net, spec, image_size=32)
        loaded, _, _ = load_checkpoint(tmp_path / f"{name}.pt")
        x = torch.randn(2, 3, 32, 32)
        with torch.no_grad():
            np.testing.assert_allclose(loaded(x).numpy(), net(x).numpy(), atol=1e-5)
    with pytest.raises(ValueError, match="controls.models"):
        control_spec("vgg", 10, space="darts", darts_net=DARTS_NET)


def test_airbench94_whitens_its_first_layer_from_training_images_and_deploys_in_int8(tmp_path):
    """The frozen first layer decorrelates the images' 2x2 patches (unit covariance, each filter and
    its negation), the net trains a step with its batch-norm scales frozen, and it exports and
    quantizes with the workflow's INT8 settings."""
    from edgenas.export import export_onnx
    from edgenas.quantize import quantize_int8
    from edgenas.compression.training_jobs import initialise_from_data
    from edgenas.data import ImageArrays
    from edgenas.device import ondevice

    rng = np.random.default_rng(0)
    smooth = rng.integers(0, 256, (64, 9, 9, 3)).repeat(2, 1).repeat(2, 2)[:, :16, :16]  # neighbours correlate
    train = ImageArrays(x=smooth.astype(np.uint8), y=rng.integers(0, 10, 64), classes=[str(c) for c in range(10)],
                        mean=[0.5] * 3, std=[0.25] * 3)
    spec = {"family": "airbench94", "num_classes": 10}
    net = initialise_from_data(build_model(spec, seed=0), spec, train, np.arange(64), seed=0)
    x = (torch.from_numpy(train.x).permute(0, 3, 1, 2).float() / 255 - 0.5) / 0.25
    w = net[0].weight.detach()
    assert not net[0].bias.any()  # airbench's convolutions start without bias
    torch.testing.assert_close(w[12:], -w[:12])
    white = torch.nn.functional.conv2d(x, w[:12]).permute(1, 0, 2, 3).reshape(12, -1)
    torch.testing.assert_close(white @ white.T / white.shape[1], torch.eye(12), atol=0.02, rtol=0)
    frozen = {name for name, p in net.named_parameters() if not p.requires_grad}
    assert "0.weight" in frozen and "2.2.weight" in frozen and "2.2.bias" not in frozen
    before = {name: p.detach().clone() for name, p in net.named_parameters()}
    torch.optim.SGD([p for p in net.parameters() if p.requires_grad], lr=0.1).zero_grad()
    torch.nn.functional.cross_entropy(net.train()(x), torch.from_numpy(train.y)).backward()
    torch.optim.SGD([p for p in net.parameters() if p.requires_grad], lr=0.1).step()
    assert all(torch.equal(before[n], p) for n, p in net.named_parameters() if n in frozen)
    assert not torch.equal(before["2.2.bias"], net.get_parameter("2.2.bias"))
    images = x.numpy()
    assert export_onnx(net.eval(), tmp_path / "fp32.onnx", images[:4]) < 1e-3
    quantize_int8(tmp_path / "fp32.onnx", tmp_path / "int8.onnx", images,
                  quantize(format="qdq", per_channel=False, calibration_method="minmax", reduce_range=False,
                           keep_fp32=["Add", "Concat", "AveragePool", "MaxPool"]))
    fp = ondevice.predict(ondevice.open_session(str(tmp_path / "fp32.onnx")), images)
    q = ondevice.predict(ondevice.open_session(str(tmp_path / "int8.onnx")), images)
    assert np.corrcoef(fp.ravel(), q.ravel())[0, 1] > 0.9


def test_whitening_reads_images_of_every_class_when_the_data_is_sorted_by_class(monkeypatch):
    """An ImageFolder loads sorted by class: the whitening layer's 5,000 images are drawn at random
    from the split (seeded), not its first 5,000, which would all be one class."""
    from edgenas.compression.training_jobs import WHITENING_IMAGES, initialise_from_data
    from edgenas.data import ImageArrays
    from edgenas import nets as handmade

    sorted_by_class = np.repeat([0, 1], 2 * WHITENING_IMAGES)
    x = np.broadcast_to((255 * sorted_by_class).astype(np.uint8)[:, None, None, None], (len(sorted_by_class), 4, 4, 3))
    train = ImageArrays(x=np.ascontiguousarray(x), y=sorted_by_class, classes=["black", "white"], mean=[0.5] * 3,
                        std=[0.5] * 3)
    seen = []
    monkeypatch.setattr(handmade, "whiten_first_layer", lambda net, images: seen.append(images))
    spec = {"family": "airbench94", "num_classes": 2}
    initialise_from_data(build_model(spec, seed=0), spec, train, np.arange(len(sorted_by_class)),
                         seed=0)
    white = (seen[0][:, 0, 0, 0] > 0).float().mean()
    assert len(seen[0]) == WHITENING_IMAGES and 0.45 < white < 0.55


def test_damaged_checkpoint_names_the_file_and_its_fix(tmp_path):
    from edgenas.records import DamagedFile

    spec = dict(family="darts", arch=ARCH, width=8, num_cells=3, num_classes=4)
    save_checkpoint(tmp_path / "baseline.pt", build_model(spec), spec)
    data = (tmp_path / "baseline.pt").read_bytes()
    (tmp_path / "baseline.pt").write_bytes(data[: len(data) // 2])  # a copy cut short
    with pytest.raises(DamagedFile, match=r"baseline.pt is damaged .*snakemake .*baseline.pt --forcerun"):
        load_checkpoint(tmp_path / "baseline.pt")


def test_a_damaged_resume_checkpoint_is_set_aside_and_the_stage_starts_afresh(tmp_path, capsys):
    from edgenas.resume import checkpoint_to_resume

    work = tmp_path / "train"
    settings = {"epochs": 3}
    assert checkpoint_to_resume(work, settings) is None
    torch.save({"state_dict": {"w": torch.zeros(3)}}, work / "last.ckpt")
    assert checkpoint_to_resume(work, settings) == work / "last.ckpt"  # intact: resumed
    (work / "last.ckpt").write_bytes((work / "last.ckpt").read_bytes()[:40])  # killed while writing
    assert checkpoint_to_resume(work, settings) is None and not (work / "last.ckpt").exists()
    aside = [p for p in tmp_path.iterdir() if p.name.startswith("train.damaged-")]
    assert len(aside) == 1 and (aside[0] / "last.ckpt").exists()  # kept, renamed, not deleted
    assert "is damaged (cut short?): set aside" in capsys.readouterr().out
