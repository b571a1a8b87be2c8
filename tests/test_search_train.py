import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import recipe

from edgenas.accel import use_cpu_threads
from edgenas.training import train_net
from edgenas.records import DamagedFile
from edgenas.search.darts import search_darts
from edgenas.search.genotype import read_search_result
from edgenas.search.spaces.darts import OPS, build_net
from edgenas.settings import Darts, Recipe, split_indices


def test_darts_search_returns_a_rebuildable_genotype(arrays, tmp_path):
    train = arrays["train"]
    result = search_darts(train, settings=Darts(width=4, num_cells=3, epochs=1, batch_size=16, subset=64,
                                                           learning_rate=0.025, arc_learning_rate=3e-4,
                                                           weight_decay=3e-4, gradient_clip=5.0),
                          seed=0, workdir=tmp_path)
    result.write(tmp_path / "genotype.json")
    back = read_search_result(tmp_path / "genotype.json")
    assert back == result and back.space == "darts"
    cells = back.genotype.cells
    assert [len(cells[c]) for c in ("normal", "reduce")] == [4, 4]
    assert all(len(edges) == 2 and {e.op for e in edges} <= set(OPS) for c in cells.values() for edges in c)
    assert back.search["images"] == 64 and len(back.arch_weights) == 1
    assert (tmp_path / "nni").is_dir()  # NNI's files under the work folder, not the home folder
    net = build_net(back.arch, width=8, num_cells=3, num_classes=4)
    assert net(__import__("torch").zeros(2, 3, 16, 16)).shape == (2, 4)


def test_search_resumes_after_a_crash(arrays, tmp_path, monkeypatch):
    from edgenas.search.darts import ArchWeightsRecorder

    train = arrays["train"]
    settings = dict(settings=Darts(width=4, num_cells=3, epochs=2, batch_size=16, subset=64, learning_rate=0.025,
                                   arc_learning_rate=3e-4, weight_decay=3e-4, gradient_clip=5.0), seed=0, workdir=tmp_path)
    original = ArchWeightsRecorder.on_train_epoch_end

    def crash_after_first_epoch(self, trainer, pl_module):
        original(self, trainer, pl_module)
        if trainer.current_epoch == 0:
            trainer.should_stop = True  # the process dies after epoch 1's checkpoint

    monkeypatch.setattr(ArchWeightsRecorder, "on_train_epoch_end", crash_after_first_epoch)
    with pytest.raises(RuntimeError, match=r"stopped after 1 of 2 epochs .*; a rerun resumes"):
        search_darts(train, **settings)
    monkeypatch.setattr(ArchWeightsRecorder, "on_train_epoch_end", original)
    result = search_darts(train, **settings)
    assert len(result.arch_weights) == 2  # epoch 1 restored from the checkpoint, epoch 2 trained


def test_search_rejects_a_subset_too_small(arrays, tmp_path):
    with pytest.raises(ValueError, match="search.subset"):
        search_darts(arrays["train"],
                     settings=Darts(width=4, num_cells=3, epochs=1, batch_size=64, subset=64, learning_rate=0.025,
                                    arc_learning_rate=3e-4, weight_decay=3e-4, gradient_clip=5.0),
                     seed=0, workdir=tmp_path)


def test_damaged_genotype_names_the_file_and_its_fix(tmp_path):
    path = tmp_path / "genotype.json"
    path.write_text(json.dumps({"space": "darts"}))
    with pytest.raises(DamagedFile, match=r"genotype.json: not a search result \(missing space_settings, arch, search"):
        read_search_result(path)
    path.write_text(json.dumps({"space": "darts", "space_settings": {}, "arch": {"x": 1}, "search": {}}))
    with pytest.raises(DamagedFile, match="not a darts architecture"):
        read_search_result(path)
    path.write_text('{"space": "darts", "ar')
    with pytest.raises(DamagedFile, match=r"genotype.json is damaged \(not valid JSON.*snakemake .*genotype.json --forcerun"):
        read_search_result(path)


RECIPE = recipe()


def test_training_learns_and_resumes_after_a_crash(arrays, tmp_path, monkeypatch):
    from conftest import ARCH

    from edgenas.training import HistoryWriter
    from edgenas.model import predict_torch

    train, test = arrays["train"], arrays["test"]
    mean, std = train.mean, train.std
    tr, va = split_indices(len(train.y), 0.1, 0)
    net = build_net(ARCH, width=8, num_cells=3, num_classes=4)
    started = []
    original = HistoryWriter.on_train_epoch_start

    def crash_in_second_epoch(self, trainer, pl_module):
        started.append(trainer.current_epoch)
        if trainer.current_epoch == 1:
            raise RuntimeError("simulated crash")
        original(self, trainer, pl_module)

    monkeypatch.setattr(HistoryWriter, "on_train_epoch_start", crash_in_second_epoch)
    with pytest.raises(RuntimeError, match="simulated crash"):
        train_net(net, train, tr, va, RECIPE, seed=0, workdir=tmp_path)
    assert (tmp_path / "last.ckpt").exists()
    monkeypatch.setattr(HistoryWriter, "on_train_epoch_start", original)
    started.clear()
    history = train_net(net.train(), train, tr, va, RECIPE, seed=0, workdir=tmp_path)
    assert [int(r["epoch"]) for r in history] == [1, 2, 3]  # epoch 1 kept, not trained again
    accuracy = (predict_torch(net, test.x, mean, std).argmax(1) == test.y).mean()
    assert accuracy > 0.5  # 4 classes: chance is 0.25


def test_lookahead_ends_on_its_checkpointed_slow_weights(arrays, tmp_path):
    """With lookahead the net ends on the slow copy of its weights (not on the last trained ones),
    and the epoch checkpoint holds that copy (what Lightning restores into the callback on resume)."""
    import torch
    from conftest import ARCH

    from edgenas.model import predict_torch

    train, test = arrays["train"], arrays["test"]
    mean, std = train.mean, train.std
    tr, va = split_indices(len(train.y), 0.1, 0)
    net = build_net(ARCH, width=8, num_cells=3, num_classes=4)
    train_net(net, train, tr, va, replace(RECIPE, lookahead_steps=2), seed=0, workdir=tmp_path)
    checkpoint = torch.load(tmp_path / "last.ckpt", weights_only=True)
    (slow,) = [state["slow"] for key, state in checkpoint["callbacks"].items() if key.startswith("Lookahead")]
    ended = [t for t in net.state_dict().values() if t.is_floating_point()]
    trained = [t for t in checkpoint["state_dict"].values() if t.is_floating_point()]
    assert len(slow) == len(ended) == len(trained)
    assert all(torch.equal(s, e) for s, e in zip(slow, ended))
    assert not all(torch.equal(s, t) for s, t in zip(slow, trained))  # the end's decay held the copy back
    assert (predict_torch(net, test.x, mean, std).argmax(1) == test.y).mean() > 0.5


def test_airbench_preset_trains_with_its_schedule_parameter_groups_and_frozen_whitening_bias(arrays, tmp_path):
    """config/presets/airbench.yaml's recipe as train_net runs it: the triangular rate, batch-norm biases at
    64x the rate and 1/64 of the decay (each step decays them alike), every parameter decayed, and
    airbench94's whitening bias trained for its epochs, then frozen; the net learns."""
    import pytorch_lightning as pl
    import torch
    import yaml

    from edgenas.training import parameter_groups, triangle
    from edgenas.compression.training_jobs import initialise_from_data
    from edgenas.model import predict_torch
    from edgenas.model import build_model

    assert [triangle(p) for p in (0, 0.23, 1)] == pytest.approx([0.2, 1.0, 0.07])
    preset = yaml.safe_load((Path(__file__).parents[1] / "config/presets/airbench.yaml").read_text())["train"]
    # batch 16 instead of 1024, the rate scaled with it (the preset's rule); no lookahead, which would move
    # the frozen bias toward its slow copy
    airbench = recipe(**dict(preset, epochs=3, batch_size=16, learning_rate=preset["learning_rate"] * 16 / 1024,
                             whiten_bias_epochs=1, lookahead_steps=0))
    train, test = arrays["train"], arrays["test"]
    mean, std = train.mean, train.std
    tr, va = split_indices(len(train.y), 0.1, 0)
    spec = {"family": "airbench94", "num_classes": 4}
    net = initialise_from_data(build_model(spec, seed=0), spec, train, tr, seed=0)
    groups = parameter_groups(net, airbench)
    (norm,) = [g for g in groups if "lr" in g]
    assert norm["lr"] == pytest.approx(64 * airbench.learning_rate) and norm["weight_decay"] == pytest.approx(
        airbench.weight_decay / 64)
    assert all(g["weight_decay"] == pytest.approx(airbench.weight_decay) for g in groups if "lr" not in g)
    start = net[0].bias.detach().clone()
    biases = []

    class Probe(pl.Callback):
        def on_train_epoch_end(self, trainer, pl_module):
            biases.append(pl_module.net[0].bias.detach().clone())

    train_net(net, train, tr, va, airbench, seed=0, workdir=tmp_path, callbacks=[Probe()])
    assert not torch.equal(biases[0], start) and torch.equal(biases[1], biases[0]) and torch.equal(biases[2], biases[0])
    assert (predict_torch(net, test.x, mean, std).argmax(1) == test.y).mean() > 0.5


def test_auxiliary_head_adds_its_weighted_loss_and_its_gradient_as_darts_defines(imagefolder, tmp_path):
    """DARTS's auxiliary head: in training the net also classifies from a cell about two thirds deep, and
    the loss is the main cross-entropy plus auxiliary_weight times the head's. Its gradient reaches the
    head and the cells before it, never the cells after; in evaluation the net gives the main logits
    only. The whole recipe then trains with it."""
    from conftest import ARCH

    from edgenas.training import ImageClassifier
    from edgenas.data import load_imagefolder

    train = load_imagefolder(imagefolder, 32)["train"]  # the CIFAR auxiliary head wants 8x8 maps
    x = torch.randn(4, 3, 32, 32)
    y = torch.tensor([0, 1, 2, 3])
    torch.manual_seed(0)
    net = build_net(ARCH, width=8, num_cells=5, num_classes=4, auxiliary=True, drop_path=0.0).train()
    logits, aux = net(x)
    ce = torch.nn.CrossEntropyLoss(label_smoothing=RECIPE.label_smoothing)
    for weight in (0.0, 0.4):
        job = ImageClassifier(net, replace(RECIPE, auxiliary_weight=weight))
        job.log = lambda *args, **kwargs: None  # no trainer here
        torch.manual_seed(0)
        loss = job.training_step((x, y), 0)
        assert float(loss) == pytest.approx(float(ce(logits, y) + weight * ce(aux, y)), rel=1e-5)
    net.zero_grad()
    ce(net(x)[1], y).backward()  # the auxiliary loss alone
    assert net.auxiliary_head.classifier.weight.grad.abs().sum() > 0
    def grad(module) -> float:
        return sum(float(p.grad.abs().sum()) for p in module.parameters() if p.grad is not None)

    # the head hangs after the first cell of the last stage (NNI, as DARTS): that cell and every one before
    # it learn from the head, the cells after it and the main classifier do not
    last = net.stages[-1]
    assert grad(net.stages[0]) > 0 and grad(last[0]) > 0 and grad(last[1]) == 0 and grad(net.classifier) == 0
    assert not isinstance(net.eval()(x), tuple)  # evaluation: the main logits only
    tr, va = split_indices(len(train.y), 0.1, 0, limit=64)
    net = build_net(ARCH, width=8, num_cells=3, num_classes=4, auxiliary=True, drop_path=0.1)
    short = replace(RECIPE, epochs=1, batch_size=4, auxiliary_weight=0.4, cutout=4)
    history = train_net(net, train, tr, va, short, seed=0, workdir=tmp_path)
    assert np.isfinite(float(history[0]["train_loss"]))


def test_distillation_pulls_the_student_toward_a_frozen_teacher(arrays, tmp_path):
    """With the whole loss on distillation, the student learns the teacher's answers (here a
    teacher that labels every image class 3, whatever the labels say); the teacher is not
    trained, its batch-norm statistics stay put, and the checkpoint holds the student only."""
    import torch
    from conftest import ARCH

    from edgenas.model import predict_torch

    train = arrays["train"]
    mean, std = train.mean, train.std
    tr, va = split_indices(len(train.y), 0.1, 0)
    teacher = build_net(ARCH, width=8, num_cells=3, num_classes=4)
    with torch.no_grad():
        teacher.classifier.weight.zero_()
        teacher.classifier.bias.copy_(torch.tensor([0.0, 0.0, 0.0, 5.0]))
    before = {k: v.clone() for k, v in teacher.state_dict().items()}
    student = build_net(ARCH, width=8, num_cells=3, num_classes=4)
    distilling = replace(RECIPE, epochs=2, label_smoothing=0.0, distill_weight=1.0, temperature=2.0)
    train_net(student, train, tr, va, distilling, seed=0, workdir=tmp_path, teacher=teacher)
    assert (predict_torch(student, train.x, mean, std).argmax(1) == 3).mean() > 0.9
    assert (train.y == 3).mean() < 0.5
    assert all(torch.equal(before[k], v) for k, v in teacher.state_dict().items())
    saved = torch.load(tmp_path / "last.ckpt", weights_only=True)["state_dict"]
    assert saved and all(k.startswith("net.") for k in saved)


KILLED_RUN = """
import sys, time
sys.path.insert(0, sys.argv[1])
from conftest import ARCH, recipe
from edgenas.training import HistoryWriter, train_net
from edgenas.data import load_imagefolder
from edgenas.search.spaces.darts import build_net
from edgenas.settings import split_indices

train = load_imagefolder(sys.argv[2], 16)["train"]
tr, va = split_indices(len(train.y), 0.1, 0)
start = HistoryWriter.on_train_epoch_start
def pause(self, trainer, module):  # epoch 1's checkpoint is written: give the test time to kill us
    if trainer.current_epoch == 1:
        time.sleep(5)
    start(self, trainer, module)
HistoryWriter.on_train_epoch_start = pause
train_net(build_net(ARCH, width=8, num_cells=3, num_classes=4), train, tr, va,
    recipe(epochs=4, batch_size=16), seed=0,
    workdir=sys.argv[3])
"""


def test_training_stopped_by_sigterm_fails_and_resumes_on_rerun(imagefolder, tmp_path):
    """SIGTERM (scancel, preemption, a stopped workflow) in the middle of training, then the same
    call again: the stopped run fails (Lightning alone exits 0: to Snakemake, a job done without its
    outputs), and the rerun resumes from the last epoch checkpoint (epoch 1's row is kept, not
    retrained) and ends with every epoch's history row. A kill -9 leaves the same checkpoint."""
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    from conftest import ARCH

    from edgenas.data import load_imagefolder

    work = tmp_path / "work"  # train_net's checkpoint folder
    log = tmp_path / "stderr.txt"  # a file, not a pipe: progress bars would fill a pipe nobody reads yet
    proc = subprocess.Popen([sys.executable, "-c", KILLED_RUN, str(Path(__file__).parent), str(imagefolder), str(work)],
                            stdout=subprocess.DEVNULL, stderr=log.open("w"))
    deadline = time.time() + 120
    while not ((work / "last.ckpt").exists() and (work / "history.csv").exists()) and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)  # inside the pause at the start of epoch 2
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=120)
    assert proc.returncode == 1
    assert f"stopped by SIGTERM; a rerun resumes from the last checkpoint in {work}" in log.read_text()
    before = (work / "history.csv").read_text().splitlines()
    assert len(before) == 2  # header and epoch 1: killed in epoch 2
    train = load_imagefolder(imagefolder, 16)["train"]
    tr, va = split_indices(len(train.y), 0.1, 0)
    net = build_net(ARCH, width=8, num_cells=3, num_classes=4)
    history = train_net(net, train, tr, va, replace(RECIPE, epochs=4, batch_size=16), seed=0,
                  workdir=work)
    assert [int(r["epoch"]) for r in history] == [1, 2, 3, 4]
    assert (work / "history.csv").read_text().splitlines()[1] == before[1]  # epoch 1 resumed, not trained again
    assert net(__import__("torch").zeros(2, 3, 16, 16)).shape == (2, 4)


def test_a_job_never_takes_more_threads_than_its_cores(monkeypatch):
    """--cores above the machine's count grants a job threads it has no cores for."""
    before = torch.get_num_threads()
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 1})
    try:
        assert use_cpu_threads(4) == 2 and torch.get_num_threads() == 2
        assert use_cpu_threads(1) == 1 and torch.get_num_threads() == 1
        assert use_cpu_threads(0) == 1
    finally:
        torch.set_num_threads(before)


def test_every_recipe_is_the_configs_and_fine_tuning_keeps_its_own_keys():
    """The settings module reads the config once: training takes the ``train:`` keys (the DARTS head's
    weight only where DARTS is searched), fine-tuning its own epochs, batch, rate and distillation with
    the rest of them, cosine and no auxiliary head; no field falls back on a default of its own."""
    import dataclasses

    import yaml
    from conftest import REPO

    from edgenas.settings import Halving, Prune, Quantize, Spos

    config = yaml.safe_load((REPO / "config/config.yaml").read_text())
    config["finetune"] = dict(config["finetune"], epochs=3, batch_size=32, learning_rate=0.005)
    tuned = Recipe.finetuning(config)
    assert (tuned.epochs, tuned.batch_size, tuned.learning_rate) == (3, 32, 0.005)
    assert tuned.schedule == "cosine" and tuned.auxiliary_weight == 0.0
    assert tuned.flip == config["train"]["flip"] and tuned.weight_decay == config["train"]["weight_decay"]
    assert tuned.distill_weight == config["finetune"]["distill_weight"] > 0
    trained = Recipe.training(config)
    assert trained.translate == config["train"]["translate"] and trained.distill_weight == 0.0
    assert trained.auxiliary_weight == 0.0 and Recipe.training(
        {**config, "search": {**config["search"], "space": "darts"},
         "train": {**config["train"], "darts": {**config["train"]["darts"], "auxiliary_weight": 0.4}}}).auxiliary_weight == 0.4
    for settings in (Recipe, Halving, Spos, Prune, Quantize):
        assert all(f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
                   for f in dataclasses.fields(settings)), settings
    del config["train"]["flip"]
    with pytest.raises(KeyError, match="flip"):  # a setting the config lacks is an error, not a default
        Recipe.training(config)


def test_airbench_reference_runs_the_published_script_on_the_cpu_or_refuses_another_version(tmp_path, monkeypatch):
    """benchmarks/airbench_reference.py changes airbench94's script only where it needs CUDA, refuses
    a script where one change does not match once, and hands it the run's images shuffled, each
    with its own label."""
    from conftest import REPO

    monkeypatch.syspath_prepend(str(REPO / "benchmarks"))
    from airbench_reference import CPU_CHANGES, on_cpu, save_images

    script = "import os\n" + "\n".join(old for old, _ in CPU_CHANGES) + "\ntorch.cuda.synchronize()\n"
    patched = on_cpu(script)
    assert ".cuda" not in patched and ".half()" not in patched and "_CpuEvent()" in patched
    with pytest.raises(ValueError, match="net.half"):
        on_cpu(script.replace("net = net.half().cuda()", "net = net.half().to('cuda')"))

    from edgenas.data import ImageArrays

    x = np.arange(20, dtype=np.uint8).reshape(20, 1, 1, 1).repeat(2, 1).repeat(2, 2).repeat(3, 3)
    for split in ("train", "test"):
        ImageArrays(x=x, y=np.arange(20) % 10, classes=[str(c) for c in range(10)]).save(
            tmp_path / "run" / "resources" / "data" / f"{split}.npz")
    save_images(tmp_path / "run", tmp_path / "cifar10")
    train = torch.load(tmp_path / "cifar10" / "train.pt")  # the script's own load: weights_only
    assert sorted(train["labels"].tolist()) == sorted((np.arange(20) % 10).tolist())
    assert train["labels"].tolist() != (np.arange(20) % 10).tolist()  # shuffled
    assert (train["images"][:, 0, 0, 0] % 10 == train["labels"]).all()
    assert torch.load(tmp_path / "cifar10" / "test.pt")["labels"].tolist() == (np.arange(20) % 10).tolist()


def test_auto_precision_on_the_cpu_is_bf16_only_where_it_is_native(monkeypatch):
    """``precision: auto`` trains in bf16 autocast on a CPU with native bf16 (AVX512-BF16, AMX),
    in fp32 elsewhere (emulated bf16 is slower there); an explicit choice is kept either way."""
    from edgenas import accel

    for native, expected in ((True, "bf16-mixed"), (False, "32-true")):
        monkeypatch.setattr(accel, "cpu_has_bf16", lambda native=native: native)
        assert accel.resolve("cpu", "auto").precision == expected
        assert accel.resolve("cpu", "32").precision == "32-true"
        assert accel.resolve("cpu", "bf16").precision == "bf16-mixed"
        assert accel.resolve("cpu", "auto", cpu_bf16=False).precision == "32-true"  # NNI's one-shot searches


def test_darts_search_refuses_bf16_on_the_cpu(arrays, tmp_path):
    """NNI's DARTS in CPU bf16 autocast ends with NaN architecture weights: refused before it trains."""
    from edgenas.accel import Hardware
    from edgenas.errors import ConfigError

    train = arrays["train"]
    settings = Darts(width=4, num_cells=3, epochs=1, batch_size=16, subset=64, learning_rate=0.025,
                     arc_learning_rate=3e-4, weight_decay=3e-4, gradient_clip=5.0)
    with pytest.raises(ConfigError, match="precision: 'bf16'"):
        search_darts(train, settings=settings, seed=0, workdir=tmp_path, hardware=Hardware("cpu", "bf16-mixed"))
    assert not (tmp_path / "nni").exists()


def test_bf16_training_learns_and_its_history_names_its_precision(arrays, tmp_path):
    from conftest import ARCH

    from edgenas.accel import Hardware
    from edgenas.deliverables.study import trained_precision
    from edgenas.model import predict_torch

    train, test = arrays["train"], arrays["test"]
    mean, std = train.mean, train.std
    tr, va = split_indices(len(train.y), 0.1, 0)
    net = build_net(ARCH, width=8, num_cells=3, num_classes=4)
    history = train_net(net, train, tr, va, RECIPE, seed=0, workdir=tmp_path,
                  hardware=Hardware("cpu", "bf16-mixed"))
    assert [r["precision"] for r in history] == ["bf16-mixed"] * RECIPE.epochs
    assert next(net.parameters()).dtype == torch.float32  # autocast: the weights stay fp32
    accuracy = (predict_torch(net, test.x, mean, std).argmax(1) == test.y).mean()
    assert accuracy > 0.5  # 4 classes: chance is 0.25
    assert trained_precision(tmp_path / "history.csv") == "bf16-mixed"


def test_a_history_from_before_the_precision_column_is_widened_on_resume(tmp_path):
    """A run resumed from an older checkpoint appends rows with the new column to a CSV without
    it: the header is rewritten, the old rows kept (read as fp32)."""
    import csv

    from edgenas.training import HistoryWriter
    from edgenas.deliverables.study import trained_precision

    path = tmp_path / "history.csv"
    old = [f for f in HistoryWriter.FIELDS if f != "precision"]
    path.write_text(",".join(old) + "\n1,1.5,0.4,1.4,0.5,0.1,10.0,100.0\n")
    assert trained_precision(path) == "32-true"
    writer = HistoryWriter(path, images_per_epoch=128)
    writer._widen_header()
    with path.open() as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == HistoryWriter.FIELDS and rows[0]["epoch"] == "1" and rows[0]["precision"] == ""


def test_precision_throughput_times_both_precisions_through_the_training_stage():
    """benchmarks/precision_throughput.py runs the workflow's train_net in fp32 and in bf16 on each net
    and prints one row per net with both rates and their ratio."""
    import re
    import subprocess
    import sys

    from conftest import REPO

    out = subprocess.run([sys.executable, str(REPO / "benchmarks/precision_throughput.py"), "--net", "dense",
                          "--steps", "4", "--batch-size", "32"], capture_output=True, text=True, cwd=REPO, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    rows = {m[0]: m[1:] for m in re.findall(r"^(dense)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)x$", out.stdout, re.M)}
    assert set(rows) == {"dense"}
    for fp32, bf16, ratio in rows.values():
        assert float(fp32) > 0 and float(bf16) > 0
        assert float(ratio) == pytest.approx(float(bf16) / float(fp32), abs=0.01)
