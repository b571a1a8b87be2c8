"""Seaborn plots of the per-stage results and the training curves."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402


def accuracy_latency(bench: pd.DataFrame, path: str | Path) -> None:
    """Accuracy against batch-1 latency, one point per model (stage and format) and thread count."""
    data = bench.assign(model=bench.stage + " (" + bench["format"] + ")")
    fig, ax = plt.subplots(figsize=(7, 4))
    sns.scatterplot(data=data, x="latency_ms_p50", y="accuracy", hue="model", style="threads", s=90, ax=ax)
    ax.set(xlabel="latency p50, batch 1 (ms)", ylabel="test accuracy", title=f"Accuracy vs latency ({bench.target.iloc[0]})")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def size_per_stage(bench: pd.DataFrame, path: str | Path) -> None:
    """Deployed (ONNX) file size per stage."""
    sizes = bench[bench["format"].str.startswith("onnx")].drop_duplicates("stage")
    fig, ax = plt.subplots(figsize=(6, 3.5))
    sns.barplot(data=sizes, x="stage", y="size_mb", hue="stage", ax=ax)
    ax.set(ylabel="file size (MB)", title="Model size per stage")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def training_curves(histories: dict[str, pd.DataFrame], path: str | Path) -> None:
    """Validation accuracy and training loss per epoch, for training and fine-tuning."""
    data = pd.concat([h.assign(run=name) for name, h in histories.items()], ignore_index=True)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
    sns.lineplot(data=data, x="epoch", y="train_loss", hue="run", marker="o", ax=axes[0])
    if "val_acc" in data and data["val_acc"].notna().any():
        sns.lineplot(data=data, x="epoch", y="val_acc", hue="run", marker="o", ax=axes[1])
    axes[0].set(title="training loss")
    axes[1].set(title="validation accuracy")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
