"""Seaborn plots of the results, graphviz diagrams of DARTS cells, and the hardware-aware search's figures."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from ..search.genotype import SearchResult  # noqa: E402
from ..search.latency import LatencyTable  # noqa: E402
from ..search.spaces import HARDWARE_AWARE, dense, hardware_aware, mobile  # noqa: E402  # noqa: E402
from ..search.spaces.darts import Genotype  # noqa: E402
from ..registry import final_stage  # noqa: E402
from .analysis import ONE_THREAD, compression_steps, deployed, pareto_front  # noqa: E402


def _tradeoff(bench: pd.DataFrame, cost: str, title: str, path: str | Path, words: dict,
              budgets: dict | None = None) -> list[str]:
    """Every trained net's FP32 and INT8 file (hollow and filled), the NAS net's compressed stages,
    and the Pareto front of the models as deployed (INT8). The pruned net before fine-tuning is
    left out: it is not a deployable model. ``budgets`` (``budget``, ``final_budget``: latency.Budget)
    are drawn as vertical lines where they are latencies at the plot's thread count. Returns the
    legend's entries."""
    w = words["figures"]["tradeoff"]
    data = deployed(bench)
    data = data[data.stage != "pruned"].assign(precision=data["format"].str.removeprefix("onnx-").str.upper(),
                                                accuracy=100 * data.accuracy)  # in %, as every table gives it
    final = data[data.stage == data.model.map(final_stage)]
    fig, ax = plt.subplots(figsize=(9.5, 4.8))
    data = data.rename(columns={"model": w["model"], "precision": w["precision"]})
    sns.scatterplot(data=data, x=cost, y="accuracy", hue=w["model"], style=w["precision"],
                    markers={"FP32": "o", "INT8": "s"}, s=90, ax=ax)
    for _, row in data[data[w["model"]] == "nas"].iterrows():
        ax.annotate(row.stage, (row[cost], row.accuracy), textcoords="offset points", xytext=(6, -3), fontsize=7)
    front = pareto_front(final, cost)
    ax.plot(front[cost], front["accuracy"], "--", color="grey", lw=1, label=w["front"])
    for key, style in (("budget", ":"), ("final_budget", "-.")):
        budget = (budgets or {}).get(key)
        if budget is not None and budget.threads == ONE_THREAD:
            ax.axvline(budget.latency_ms, color="black", ls=style, lw=1,
                       label=w[key].format(ms=f"{budget.latency_ms:.3f}".replace(".", words["decimal"])))
    ax.set(xlabel=w[cost], ylabel=w["accuracy"], title=w[title].format(target=data.target.iloc[0], threads=ONE_THREAD))
    legend = ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)  # beside the points
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return [t.get_text() for t in legend.get_texts()]


def accuracy_latency(bench: pd.DataFrame, path: str | Path, words: dict, budgets: dict | None = None) -> list[str]:
    """Accuracy against batch-1 p50 latency for every deployed model, with the Pareto front and the
    search's budgets on this target (``_tradeoff``); returns the legend's entries."""
    return _tradeoff(bench, "latency_ms_p50", "title_latency", path, words, budgets)


def accuracy_size(bench: pd.DataFrame, path: str | Path, words: dict) -> None:
    """Accuracy against model file size for every deployed model, with the Pareto front."""
    _tradeoff(bench, "size_mb", "title_size", path, words)


def stage_gains(bench: pd.DataFrame, path: str | Path, words: dict) -> None:
    """Speed-up and size reduction of each NAS stage over the FP32 baseline, per thread count."""
    w = words["figures"]["stage_gains"]
    steps = compression_steps(bench).rename(columns={"threads": w["threads"]})
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    sns.barplot(data=steps, x="stage", y="speedup_total", hue=w["threads"], ax=axes[0])
    sns.barplot(data=steps[steps[w["threads"]] == steps[w["threads"]].min()], x="stage", y="smaller_total", ax=axes[1])
    for ax, title in zip(axes, [w["speedup"], w["smaller"]]):
        ax.axhline(1.0, color="grey", lw=1)
        ax.set(title=title, ylabel="×", xlabel=w["stage"])
    fig.suptitle(w["title"].format(target=bench.target.iloc[0]))
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def wall_clock_minutes(history: pd.DataFrame, start: float = 0.0) -> pd.Series:
    """Minutes from the start of a training run to the end of each epoch (training and
    validation), from the history's per-epoch seconds, shifted by ``start`` minutes."""
    return start + history["seconds"].astype(float).cumsum() / 60


def training_curves(histories: dict[str, pd.DataFrame], path: str | Path, words: dict,
                    continues: dict[str, str] | None = None) -> pd.DataFrame:
    """Training loss and validation accuracy of every training run against wall-clock minutes,
    so a reader sees which net is ahead at which budget. A run named in ``continues`` (fine-tuning
    after pruning) starts where the run it continues ended. Returns the points plotted."""
    continues = continues or {}
    ends: dict[str, float] = {}
    frames = []
    for name in sorted(histories, key=lambda n: n in continues):  # a run that continues another comes after it
        h = histories[name]
        minutes = wall_clock_minutes(h, ends.get(continues.get(name, ""), 0.0))
        ends[name] = float(minutes.iloc[-1]) if len(minutes) else 0.0
        frames.append(h.assign(run=name, minutes=minutes,
                               **({"val_acc": 100 * h["val_acc"]} if "val_acc" in h else {})))  # in %
    data = pd.concat(frames, ignore_index=True)
    w = words["figures"]["training_curves"]
    fig, axes = plt.subplots(1, 2, figsize=(11.5, 3.6), layout="constrained")
    sns.lineplot(data=data, x="minutes", y="train_loss", hue="run", marker="o", ax=axes[0], sort=False)
    if "val_acc" in data and data["val_acc"].notna().any():
        sns.lineplot(data=data, x="minutes", y="val_acc", hue="run", marker="o", ax=axes[1], sort=False,
                     legend=False)
    axes[0].set(title=w["loss_title"], xlabel=w["minutes"], ylabel=w["loss"])
    axes[1].set(title=w["accuracy_title"], xlabel=w["minutes"], ylabel=w["accuracy"])
    # one legend for both panels, beside them: inside, with eight runs, it covered the curves
    handles, labels = axes[0].get_legend_handles_labels()
    axes[0].get_legend().remove()
    fig.legend(handles, labels, loc="outside right upper", fontsize=8, frameon=False, title=w["run"])
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return data


def arch_weights(result: SearchResult, path: str | Path, words: dict) -> None:
    """How the DARTS search's choice evolved: the softmax weight of each candidate op, averaged
    over the edges of the normal and of the reduction cell, after every search epoch (DARTS fig. 3 style)."""
    from ..search.spaces.darts import arch_weight_labels

    names = arch_weight_labels()
    rows = []
    for epoch, weights in enumerate(result.arch_weights, start=1):
        for label, probs in weights.items():
            cell = label.split("/")[0]
            if cell in ("normal", "reduce") and len(probs) == len(names):
                rows += [{"epoch": epoch, "cell": cell, "op": op, "weight": p} for op, p in zip(names, probs)]
    data = pd.DataFrame(rows)
    grid = sns.relplot(data=data, x="epoch", y="weight", hue="op", col="cell", kind="line", marker="o",
                       errorbar=None, height=3.5, aspect=1.2)
    grid.set_axis_labels(words["figures"]["arch_weights"]["epoch"], words["figures"]["arch_weights"]["weight"])
    grid.figure.savefig(path, dpi=120)
    plt.close(grid.figure)


def cell_diagram(genotype: Genotype, cell: str, path: str | Path, words: dict) -> None:
    """The searched ``normal`` or ``reduce`` cell as a graph in the DARTS paper's style:
    inputs c_{k-2}, c_{k-1}, the intermediate nodes with their chosen op per edge, and the
    concatenated output c_{k}. Rendered with graphviz's ``dot``."""
    import graphviz

    g = graphviz.Digraph(format="png", graph_attr={"rankdir": "LR", "dpi": "150"},
                         node_attr={"style": "filled, rounded", "shape": "box", "fontname": "helvetica"},
                         edge_attr={"fontname": "helvetica", "fontsize": "11"})
    for k, name in enumerate(("c_{k-2}", "c_{k-1}")):
        g.node(str(k), name, fillcolor="darkseagreen2")
    nodes = genotype.cells[cell]
    for n, edges in enumerate(nodes):
        g.node(str(n + 2), str(n), fillcolor="lightblue", shape="box")
        for edge in edges:
            g.edge(str(edge.source), str(n + 2), label=edge.op)
    g.node("out", "c_{k}", fillcolor="palegoldenrod")
    for n in range(len(nodes)):
        g.edge(str(n + 2), "out", color="grey")
    g.attr(label=words["figures"]["cell"]["title"].format(cell=words["figures"]["cell"][cell]), labelloc="t")
    out = Path(path)
    g.render(outfile=str(out), cleanup=True)
    out.with_suffix(".gv").unlink(missing_ok=True)


def architecture_diagram(arch: mobile.Architecture | dense.Architecture, image_size: int, path: str | Path,
                         words: dict, space: str = "mobile") -> None:
    """The searched net of a hardware-aware ``space`` as a chain of blocks: bar height is the block's output width,
    colour its type, the label its kernel and expansion (dense blocks have none); stages are marked with their resolution."""
    from matplotlib.patches import Patch

    w = words["figures"]["architecture"]
    colours = {"mbconv": "#4c72b0", "fused": "#dd8452", "dense": "#55a868"}
    fig, ax = plt.subplots(figsize=(max(7.0, 0.55 * sum(len(b) for _, b in arch.stages) + 3), 3.6))
    x, res = 0, image_size
    ax.bar(x, arch.stem_width, color="grey", width=0.8)
    ax.text(x, arch.stem_width, w["stem"], ha="center", va="bottom", fontsize=7)
    for i, ((width, blocks), stage) in enumerate(zip(arch.stages, hardware_aware(space).STAGES)):
        res = -(-res // stage.stride)
        start = x + 1
        for b in blocks:
            x += 1
            ax.bar(x, width, color=colours[b.type], width=0.8)
            label = f"k{b.kernel}" + ("" if b.type == "dense" else f"\ne{b.expansion}")
            ax.text(x, width, label, ha="center", va="bottom", fontsize=7)
        ax.axvspan(start - 0.5, x + 0.5, color="0.93" if i % 2 else "0.97", zorder=-1)
        ax.text((start + x) / 2, -0.08, f"{res}x{res}", transform=ax.get_xaxis_transform(), ha="center", fontsize=7)
    if arch.head_width:  # the dense space has no last 1x1 convolution
        x += 1
        ax.bar(x, arch.head_width / 4, color="grey", width=0.8)
        ax.text(x, arch.head_width / 4, f"1x1\n{arch.head_width}", ha="center", va="bottom", fontsize=7)
    ax.set(xticks=[], ylabel=w["channels"], title=w["title_head" if arch.head_width else "title"])
    used = {b.type for _, blocks in arch.stages for b in blocks}  # the dense space has one block type
    ax.legend(handles=[Patch(color=c, label=k) for k, c in colours.items() if k in used], fontsize=8, loc="upper left")
    ax.margins(y=0.25)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def funnel(result: SearchResult, path: str | Path, words: dict) -> None:
    """The halving search's funnel: each round's candidates, their accuracy after the round's
    short training against its images (a line per candidate, the chosen one marked), and every
    drawn net's predicted INT8 latency with the pre-ranked candidates and each one's last round."""
    s, w = result.search, words["figures"]["funnel"]
    drawn = pd.DataFrame(result.population)
    raced = drawn[drawn.rounds.map(len) > 0]
    chosen = raced.loc[[c["arch"] == result.arch for c in raced.to_dict("records")]].iloc[0]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2), gridspec_kw={"width_ratios": [1.1, 1]})
    for _, c in raced.iterrows():
        images = [r["images"] * r.get("epochs", 1) for r in c.rounds]
        accuracy = [100 * r["accuracy"] for r in c.rounds]
        best = c.arch == result.arch
        left.plot(images, accuracy, marker="o", ms=4, lw=2.2 if best else 0.9, color="crimson" if best else "steelblue",
                  alpha=1 if best else 0.6, zorder=3 if best else 2)
    left.set_xscale("log", base=2)
    left.set_xticks([n * e for n, e in zip(s["rounds"], s["round_epochs"])],
                    [f"{n:,}" + (f" x {e}" if e > 1 else "") + "\n" + w["nets"].format(n=k)
                     for n, e, k in zip(s["rounds"], s["round_epochs"], result.nets_per_round)])
    left.set(xlabel=w["images"].format(max_images=f"{s['max_images']:,}"),
             ylabel=w["heldout"].format(val_images=f"{s['val_images']:,}"), title=w["rounds_title"])
    right.scatter(drawn.predicted_ms, [0.03] * len(drawn), marker="|", s=120, color="grey",
                  transform=right.get_xaxis_transform(), label=w["drawn"].format(n=len(drawn)))
    last = raced.assign(acc=lambda d: [100 * r[-1]["accuracy"] for r in d.rounds],
                        reached=lambda d: d.rounds.map(len))
    points = right.scatter(last.predicted_ms, last.acc, c=last.reached, cmap="viridis", s=36,
                           vmin=1, vmax=len(s["rounds"]))
    fig.colorbar(points, ax=right, label=w["reached"], ticks=range(1, len(s["rounds"]) + 1))
    right.scatter([chosen.predicted_ms], [100 * chosen.rounds[-1]["accuracy"]], marker="*", s=260, color="crimson",
                  label=w["chosen"], zorder=3)
    right.axvline(s["latency_ms"], color="grey", ls="--", lw=1, label=w["budget"])
    right.axvspan(s["fill"] * s["latency_ms"], s["latency_ms"], color="grey", alpha=0.1, label=w["band"])
    right.set(xlabel=w["latency"].format(target=s["target"]), ylabel=w["last_accuracy"], title=w["budget_title"])
    right.legend(fontsize=7, loc="center left")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def population(result: SearchResult, path: str | Path, words: dict) -> None:
    """Every candidate the evolution scored: supernet accuracy against predicted INT8 latency, in
    the order scored, with the budget and the chosen architecture."""
    if "rounds" in result.search:
        return funnel(result, path, words)
    w = words["figures"]["evolution"]
    data = pd.DataFrame(result.population).assign(order=lambda d: range(1, len(d) + 1),
                                                  accuracy=lambda d: 100 * d.accuracy)  # in %
    best = data.loc[data.accuracy.idxmax()]
    fig, ax = plt.subplots(figsize=(7, 4.2))
    points = ax.scatter(data.predicted_ms, data.accuracy, c=data.order, cmap="viridis", s=22)
    fig.colorbar(points, ax=ax, label=w["order"])
    ax.scatter([best.predicted_ms], [best.accuracy], marker="*", s=260, color="crimson", label=w["chosen"])
    ax.axvline(result.search["latency_ms"], color="grey", ls="--", lw=1, label=w["budget"])
    ax.set(xlabel=w["latency"].format(target=result.search["target"]), ylabel=w["accuracy"], title=w["title"])
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def latency_check(table: LatencyTable, path: str | Path, words: dict) -> None:
    """The latency table's prediction against whole nets measured on its target, per format."""
    nets, w = table.checks["nets"], words["figures"]["latency_check"]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2))
    for ax, fmt in zip(axes, ("int8", "fp32")):
        for use, marker in (("calibration", "o"), ("validation", "s")):
            rows = [n[fmt] for n in nets if n["use"] == use]
            ax.scatter([r["measured"] for r in rows], [r["predicted"] for r in rows], marker=marker, label=w[use],
                       alpha=0.8)
        values = [v for n in nets for v in (n[fmt]["measured"], n[fmt]["predicted"])]
        ax.plot([min(values), max(values)], [min(values), max(values)], color="grey", lw=1)
        check = table.checks[fmt]["corrected"]
        ax.set(xlabel=w["measured"], ylabel=w["predicted"],
               title=w["panel"].format(format=fmt.upper(), rho=f"{check['spearman']:.3f}",
                                       mape=f"{100 * check['mape']:.1f}"))
        ax.legend(fontsize=8)
    fig.suptitle(w["title"].format(target=table.target, threads=table.threads))
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def search_figures(result: SearchResult, paths: dict[str, str], words: dict, latency_table: str | None = None) -> None:
    """The figures of a search result, by its space: DARTS draws both cells and the architecture
    weights; a hardware-aware space (mobile, dense) its net, the search's population and the latency table's check."""
    if result.space == "darts":
        cell_diagram(result.genotype, "normal", paths["normal_cell"], words)
        cell_diagram(result.genotype, "reduce", paths["reduce_cell"], words)
        arch_weights(result, paths["arch_weights"], words)
    elif result.space in HARDWARE_AWARE:
        from ..search.latency import read_latency_table

        table = read_latency_table(latency_table, result.space)
        architecture_diagram(result.genotype, table.image_size, paths["architecture"], words, result.space)
        population(result, paths["population"], words)
        latency_check(table, paths["latency_check"], words)
    else:
        raise ValueError(f"no figures for search space {result.space!r}")
