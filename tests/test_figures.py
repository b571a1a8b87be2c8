"""The report's figures from small hand-made records."""
import pandas as pd
import pytest

from edgenas.deliverables import figures
from edgenas.words import load_words


def history(seconds: list[float], acc: list[float]) -> pd.DataFrame:
    n = len(seconds)
    return pd.DataFrame({"epoch": range(1, n + 1), "train_loss": [2.0 - 0.1 * i for i in range(n)],
                         "val_acc": acc, "seconds": seconds})


def test_training_curves_against_wall_clock(tmp_path):
    """Each run's curve is placed at its cumulative minutes; fine-tuning starts where training ended."""
    runs = {"nas fine-tune": history([30, 30], [0.7, 0.8]), "nas train": history([60, 120, 60], [0.4, 0.6, 0.75]),
            "resnet20": history([90, 90], [0.5, 0.7])}
    out = tmp_path / "curves.png"
    data = figures.training_curves(runs, out, load_words("en"), continues={"nas fine-tune": "nas train"})
    from PIL import Image

    assert Image.open(out).size == (1380, 432)  # 11.5 x 3.6 inches at 120 dpi, the legend inside it
    minutes = {run: list(g.minutes) for run, g in data.groupby("run")}
    assert minutes["nas train"] == pytest.approx([1, 3, 4])
    assert minutes["nas fine-tune"] == pytest.approx([4.5, 5])  # after the 4 minutes of training
    assert minutes["resnet20"] == pytest.approx([1.5, 3])


def test_the_accuracy_latency_figure_draws_both_budgets_and_every_deployed_net(tmp_path):
    """Both budgets of a study with the compression controls (the search's and the final model's own
    latency) are lines of the figure at one thread; a budget at another thread count is not drawn."""
    from edgenas.search.latency import Budget

    rows = []
    for model, stages in (("nas", ("baseline", "pruned", "finetuned", "int8", "baseline_int8")),
                          ("random1", ("baseline", "baseline_int8")), ("nas_at_final", ("baseline", "baseline_int8"))):
        for i, stage in enumerate(stages):
            rows.append({"target": "local", "model": model, "stage": stage, "threads": 1, "accuracy": 0.8 + 0.01 * i,
                         "latency_ms_p50": 1.0 / (1 + i), "size_mb": 4.0 / (1 + i),
                         "format": "onnx-int8" if "int8" in stage else "onnx-fp32"})
    bench = pd.DataFrame(rows)
    en = load_words("en")
    budgets = {"budget": Budget("local", 1, 0.5, 0.25), "final_budget": Budget("local", 1, 0.2, None)}
    labels = figures.accuracy_latency(bench, tmp_path / "a.png", en, budgets)
    assert en["figures"]["tradeoff"]["budget"].format(ms="0.500") in labels
    assert en["figures"]["tradeoff"]["final_budget"].format(ms="0.200") in labels
    assert {"nas", "random1", "nas_at_final"} <= set(labels)
    other = {"budget": Budget("local", 2, 0.5, 0.25)}  # a table at 2 threads: not this plot's latencies
    assert not any("0.500" in label for label in figures.accuracy_latency(bench, tmp_path / "b.png", en, other))
