"""The report's figures from small hand-made records."""
import pandas as pd
import pytest

from edgenas import figures


def history(seconds: list[float], acc: list[float]) -> pd.DataFrame:
    n = len(seconds)
    return pd.DataFrame({"epoch": range(1, n + 1), "train_loss": [2.0 - 0.1 * i for i in range(n)],
                         "val_acc": acc, "seconds": seconds})


def test_training_curves_against_wall_clock(tmp_path):
    """Each run's curve is placed at its cumulative minutes; fine-tuning starts where training ended."""
    runs = {"nas fine-tune": history([30, 30], [0.7, 0.8]), "nas train": history([60, 120, 60], [0.4, 0.6, 0.75]),
            "resnet20": history([90, 90], [0.5, 0.7])}
    out = tmp_path / "curves.png"
    data = figures.training_curves(runs, out, continues={"nas fine-tune": "nas train"})
    assert out.stat().st_size > 0
    minutes = {run: list(g.minutes) for run, g in data.groupby("run")}
    assert minutes["nas train"] == pytest.approx([1, 3, 4])
    assert minutes["nas fine-tune"] == pytest.approx([4.5, 5])  # after the 4 minutes of training
    assert minutes["resnet20"] == pytest.approx([1.5, 3])
