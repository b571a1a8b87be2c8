"""Seaborn plots of the results, and graphviz diagrams of the searched cells."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

ONE_THREAD = 1  # plots compare models at one thread, the edge-device case; tables give every count


def model_label(row: pd.Series) -> str:
    """'nas int8', 'resnet20', 'nas baseline (pytorch)': one name per benchmarked model."""
    name = f"{row['model']} {row['stage']}" if row["model"] == "nas" else row["model"]
    return name + (" (pytorch)" if row["format"].startswith("pytorch") else "")


def deployed(bench: pd.DataFrame, threads: int | None = ONE_THREAD) -> pd.DataFrame:
    """The ONNX rows (what is deployed) at ``threads``, with a ``label`` column."""
    rows = bench[bench["format"].str.startswith("onnx")]
    if threads is not None and (rows.threads == threads).any():
        rows = rows[rows.threads == threads]
    return rows.assign(label=rows.apply(model_label, axis=1))


def pareto_front(points: pd.DataFrame, cost: str, gain: str = "accuracy") -> pd.DataFrame:
    """Rows no other row beats on both ``cost`` (lower) and ``gain`` (higher), by cost."""
    ordered = points.sort_values([cost, gain], ascending=[True, False])
    best, keep = -1.0, []
    for idx, row in ordered.iterrows():
        if row[gain] > best:
            keep.append(idx)
            best = row[gain]
    return ordered.loc[keep]


def _tradeoff(bench: pd.DataFrame, cost: str, xlabel: str, title: str, path: str | Path) -> None:
    data = deployed(bench)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    sns.scatterplot(data=data, x=cost, y="accuracy", hue="label", style="model", s=100, ax=ax)
    front = pareto_front(data, cost)
    ax.plot(front[cost], front["accuracy"], "--", color="grey", lw=1, label="Pareto front")
    ax.set(xlabel=xlabel, ylabel="test accuracy", title=f"{title} ({data.target.iloc[0]}, {ONE_THREAD} thread)")
    ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def accuracy_latency(bench: pd.DataFrame, path: str | Path) -> None:
    """Accuracy against batch-1 p50 latency for every deployed model, with the Pareto front."""
    _tradeoff(bench, "latency_ms_p50", "latency p50, batch 1 (ms)", "Accuracy vs latency", path)


def accuracy_size(bench: pd.DataFrame, path: str | Path) -> None:
    """Accuracy against model file size for every deployed model, with the Pareto front."""
    _tradeoff(bench, "size_mb", "file size (MB)", "Accuracy vs size", path)


def stage_gains(bench: pd.DataFrame, path: str | Path) -> None:
    """Speed-up and size reduction of each NAS stage over the FP32 baseline, per thread count."""
    rows = bench[(bench.model == "nas") & bench["format"].str.startswith("onnx")]
    base = rows[rows.stage == "baseline"].set_index("threads")
    gains = rows.assign(
        speedup=rows.apply(lambda r: base.loc[r.threads, "latency_ms_p50"] / r.latency_ms_p50, axis=1),
        size_reduction=rows.apply(lambda r: base.loc[r.threads, "size_mb"] / r.size_mb, axis=1))
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    sns.barplot(data=gains, x="stage", y="speedup", hue="threads", ax=axes[0])
    sns.barplot(data=gains[gains.threads == gains.threads.min()], x="stage", y="size_reduction", ax=axes[1])
    for ax, title in zip(axes, ["speed-up vs FP32 baseline (p50)", "size reduction vs FP32 baseline"]):
        ax.axhline(1.0, color="grey", lw=1)
        ax.set(title=title, ylabel="×")
    fig.suptitle(f"What each compression stage adds ({rows.target.iloc[0]})")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def training_curves(histories: dict[str, pd.DataFrame], path: str | Path) -> None:
    """Validation accuracy and training loss per epoch, for every training run."""
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


def arch_weights(record: dict, path: str | Path) -> None:
    """How the search's choice evolved: the softmax weight of each candidate op, averaged over the
    edges of the normal and of the reduction cell, after every search epoch (DARTS fig. 3 style)."""
    names = [*record["space"]["ops"], "none"]  # NNI appends one weight for 'no edge from here'
    rows = []
    for epoch, weights in enumerate(record["arch_weights"], start=1):
        for label, probs in weights.items():
            cell = label.split("/")[0]
            if cell in ("normal", "reduce") and len(probs) == len(names):
                rows += [{"epoch": epoch, "cell": cell, "op": op, "weight": p} for op, p in zip(names, probs)]
    data = pd.DataFrame(rows)
    grid = sns.relplot(data=data, x="epoch", y="weight", hue="op", col="cell", kind="line", marker="o",
                       errorbar=None, height=3.5, aspect=1.2)
    grid.set_axis_labels("search epoch", "mean softmax weight over edges")
    grid.figure.savefig(path, dpi=120)
    plt.close(grid.figure)


def cell_diagram(arch: dict, cell: str, path: str | Path) -> None:
    """The searched ``normal`` or ``reduce`` cell as a graph in the DARTS paper's style:
    inputs c_{k-2}, c_{k-1}, the intermediate nodes with their chosen op per edge, and the
    concatenated output c_{k}. Rendered with graphviz's ``dot``."""
    import graphviz

    g = graphviz.Digraph(format="png", graph_attr={"rankdir": "LR", "dpi": "150"},
                         node_attr={"style": "filled, rounded", "shape": "box", "fontname": "helvetica"},
                         edge_attr={"fontname": "helvetica", "fontsize": "11"})
    names = {0: "c_{k-2}", 1: "c_{k-1}"}
    for k, name in names.items():
        g.node(str(k), name, fillcolor="darkseagreen2")
    node = 2
    while f"{cell}/op_{node}_0" in arch:
        g.node(str(node), str(node - 2), fillcolor="lightblue", shape="box")
        j = 0
        while f"{cell}/op_{node}_{j}" in arch:
            source = arch[f"{cell}/input_{node}_{j}"]
            source = source[0] if isinstance(source, list) else source
            g.edge(str(source), str(node), label=arch[f"{cell}/op_{node}_{j}"])
            j += 1
        node += 1
    g.node("out", "c_{k}", fillcolor="palegoldenrod")
    for k in range(2, node):
        g.edge(str(k), "out", color="grey")
    g.attr(label=f"{cell} cell", labelloc="t")
    out = Path(path)
    g.render(outfile=str(out), cleanup=True)
    out.with_suffix(".gv").unlink(missing_ok=True)
