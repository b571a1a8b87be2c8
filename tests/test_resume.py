import torch

from edgenas.resume import checkpoint_to_resume, finished


def test_checkpoint_is_resumed_only_with_the_same_settings(tmp_path):
    work = tmp_path / "work"
    assert checkpoint_to_resume(work, {"epochs": 3}) is None  # first start
    torch.save({"epoch": 1}, work / "last.ckpt")
    assert checkpoint_to_resume(work, {"epochs": 3}) == work / "last.ckpt"  # crash, same run
    assert checkpoint_to_resume(work, {"epochs": 5}) is None  # settings changed: start afresh
    assert not (work / "last.ckpt").exists()
    (work / "last.ckpt").write_text("state")
    finished(work)  # outputs saved: nothing left to resume
    assert checkpoint_to_resume(work, {"epochs": 5}) is None
