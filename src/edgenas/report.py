"""The study's report, as HTML and as a Markdown twin, written from the run's result files alone.

A renderer: the numbers come from ``study.Study`` (the result files, read once) and
``analysis`` (the tables computed from the benchmark CSVs), and Snakemake's per-job runtime
files; nothing here computes a result, and no number is typed by hand.
"""
from __future__ import annotations

import base64
import html
import math
import os
import platform
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from . import analysis
from .genotype import SearchResult
from .latency import LatencyTable
from .ondevice import cpu_name
from .study import Study

RESULT_COLUMNS = ["model", "stage", "format", "threads", "accuracy", "latency_ms_p50", "latency_ms_p90", "size_mb",
                  "params", "macs", "gmacs_per_s", "peak_fraction"]
PACKAGES = ["torch", "torchvision", "nni", "pytorch-lightning", "torch-pruning", "onnx", "onnxruntime", "snakemake",
            "pandas", "seaborn"]


def fmt(value) -> str:
    """The one formatting of a table cell, shared by both renderings (and by the tests)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, int) or (hasattr(value, "dtype") and "int" in str(value.dtype)):
        return str(int(value))
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


# Column -> (label in words, with units; how a value reads). Every table the report shows of the
# benchmark and analysis goes through ``for_readers``; the tests compare against the same function.
READERS = {
    "accuracy": ("accuracy (%)", lambda v: f"{100 * v:.2f}"),
    "std error": ("std error (points)", lambda v: f"{100 * v:.2f}"),
    "latency_ms_p50": ("latency p50 (ms)", lambda v: f"{v:.3f}"),
    "latency_ms_p90": ("latency p90 (ms)", lambda v: f"{v:.3f}"),
    "p50 ms": ("latency p50 (ms)", lambda v: f"{v:.3f}"),
    "size_mb": ("size (MB)", lambda v: f"{v:.3f}"),
    "params": ("params (k)", lambda v: f"{v / 1e3:.1f}"),
    "macs": ("MACs (M)", lambda v: f"{v / 1e6:.2f}"),
    "gmacs_per_s": ("GMAC/s", lambda v: f"{v:.1f}"),
    "peak_fraction": ("of peak (%)", lambda v: f"{100 * v:.0f}"),
    "vs NAS (points)": ("vs NAS (points)", lambda v: f"{v:+.2f}"),
    "accuracy change (points)": ("accuracy change (points)", lambda v: f"{v:+.2f}"),
    "difference (points)": ("difference (points)", lambda v: f"{v:+.2f}"),
    "accuracy with flip TTA": ("accuracy with flip TTA (%)", lambda v: f"{100 * v:.2f}"),
    "gain (points)": ("gain (points)", lambda v: f"{v:+.2f}"),
    "std error of the gain (points)": ("std error of the gain (points)", lambda v: f"{v:.2f}"),
    "p50 ms with flip TTA": ("latency p50 with flip TTA (ms)", lambda v: f"{v:.3f}"),
    "latency ratio": ("latency ratio", lambda v: f"{v:.2f}x"),
}


def for_readers(frame: pd.DataFrame) -> pd.DataFrame:
    """A table as people read it: labels with units, accuracy in %, ms to 3 decimals, M MACs, k params,
    ratios as '1.23x'; every other value as ``fmt`` writes it."""
    out = {}
    for column in frame.columns:
        label, show = READERS.get(column, (column, None))
        if show is None and ("speed-up" in column or "smaller" in column):
            show = lambda v: f"{v:.2f}x"  # noqa: E731
        if show is None and column.startswith("accuracy "):  # accuracy here / on a device
            label, show = f"{column} (%)", READERS["accuracy"][1]
        out[label] = [fmt(v) if show is None or v is None or (isinstance(v, float) and math.isnan(v)) else show(v)
                      for v in frame[column]]
    return pd.DataFrame(out)


@dataclass
class Document:
    """Headings, paragraphs, tables and images, rendered to HTML and to Markdown."""

    blocks: list[tuple] = field(default_factory=list)

    def h(self, level: int, text: str) -> None:
        self.blocks.append(("h", level, text))

    def p(self, text: str) -> None:
        self.blocks.append(("p", text))

    def table(self, frame: pd.DataFrame) -> None:
        self.blocks.append(("table", frame))

    def image(self, path: str | Path, caption: str) -> None:
        self.blocks.append(("img", Path(path), caption))

    def pre(self, text: str) -> None:
        self.blocks.append(("pre", text))

    def html(self) -> str:
        out = ["<!doctype html><html><head><meta charset='utf-8'><title>edgenas report</title>",
               "<style>body{font-family:sans-serif;max-width:1100px;margin:auto;line-height:1.4}"
               "table{border-collapse:collapse;margin:0.5em 0}td,th{border:1px solid #ccc;padding:3px 6px}"
               "td{text-align:right}pre{background:#f6f6f6;padding:0.5em;overflow:auto}</style></head><body>"]
        for block in self.blocks:
            kind = block[0]
            if kind == "h":
                out.append(f"<h{block[1]}>{html.escape(block[2])}</h{block[1]}>")
            elif kind == "p":
                out.append(f"<p>{html.escape(block[1])}</p>")
            elif kind == "table":
                frame = block[1]
                head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
                rows = "".join("<tr>" + "".join(f"<td>{html.escape(fmt(v))}</td>" for v in row) + "</tr>"
                               for row in frame.itertuples(index=False))
                out.append(f"<table><tr>{head}</tr>{rows}</table>")
            elif kind == "img":
                data = base64.b64encode(block[1].read_bytes()).decode()
                out.append(f"<figure><img alt='{html.escape(block[1].stem)}' src='data:image/png;base64,{data}' "
                           f"style='max-width:100%'><figcaption>{html.escape(block[2])}</figcaption></figure>")
            elif kind == "pre":
                out.append(f"<pre>{html.escape(block[1])}</pre>")
        out.append("</body></html>")
        return "\n".join(out)

    def markdown(self, folder: Path) -> str:
        out = []
        for block in self.blocks:
            kind = block[0]
            if kind == "h":
                out.append(f"{'#' * block[1]} {block[2]}")
            elif kind == "p":
                out.append(block[1])
            elif kind == "table":
                frame = block[1]
                lines = ["| " + " | ".join(map(str, frame.columns)) + " |",
                         "|" + "---|" * len(frame.columns)]
                lines += ["| " + " | ".join(fmt(v) for v in row) + " |" for row in frame.itertuples(index=False)]
                out.append("\n".join(lines))
            elif kind == "img":
                out.append(f"![{block[2]}]({os.path.relpath(block[1], folder)})")
            elif kind == "pre":
                out.append(f"```\n{block[1]}\n```")
        return "\n\n".join(out) + "\n"


def times(ratio: float, more: str, less: str) -> str:
    """A ratio in words: 2.1 -> '2.1x faster', 0.8 -> '1.25x slower' (never 'faster by 0.8x')."""
    return f"{fmt(ratio)}x {more}" if ratio >= 1 else f"{fmt(1 / ratio)}x {less}"


def wiring_check(bench: pd.DataFrame, classes: int, train_images: int) -> str | None:
    """A warning for runs whose numbers cannot carry a conclusion: tiny data, or the searched net
    within three standard errors of chance (the smoke preset's runs, say)."""
    nas = bench[(bench.model == "nas") & (bench.stage == "baseline") & bench["format"].str.startswith("onnx")].iloc[0]
    chance = 1 / classes
    near_chance = nas.accuracy - chance <= 3 * analysis.standard_error(chance, int(nas.test_images))
    if near_chance or nas.test_images < 1000 or train_images < 5000:
        return (f"NOTE: this run's numbers are a wiring check, not a result: it trained on {train_images} images and "
                f"tested on {int(nas.test_images)}" + (f", and the searched net scores {fmt(nas.accuracy)} where "
                                                       f"chance is {fmt(chance)}" if near_chance else "")
                + ". Differences below are not evidence about the methods.")
    return None


def versions() -> pd.DataFrame:
    rows = [{"package": "python", "version": platform.python_version()}]
    for name in PACKAGES:
        try:
            rows.append({"package": name, "version": metadata.version(name)})
        except metadata.PackageNotFoundError:
            pass
    return pd.DataFrame(rows)


def darts_method(result: SearchResult) -> list[str]:
    from .spaces.darts import reduction_cells

    space, s = result.space_settings, result.search
    reductions = reduction_cells(space["num_cells"])
    return [
        f"Search space: NNI's DARTS space. A cell is a directed acyclic graph of {space['nodes_per_cell']} "
        f"intermediate nodes; each node sums two edges, and each edge picks an input (the two previous cells' "
        f"outputs c_{{k-2}}, c_{{k-1}} or an earlier node) and one of {len(space['ops'])} candidate operations: "
        f"{', '.join(space['ops'])}. The cell's output c_{{k}} concatenates its intermediate nodes. Normal cells keep "
        f"the resolution; reduction cells (cells {reductions[0]} and {reductions[1]} of {space['num_cells']}, counting "
        f"from 0 in NNI) halve it and double the channels. The searched supernet has {space['num_cells']} cells and "
        f"{space['width']} initial channels; all normal cells share one genotype, all reduction cells another.",
        f"Search strategy: {s['strategy']} (Liu et al., 2019). The discrete choice on each edge is relaxed to a "
        f"softmax-weighted sum of every candidate operation, so the architecture weights (alpha) are learned by "
        f"gradient descent. The {s['images']} search images are split in halves: the network weights are trained on "
        f"one half and alpha on the other (a bilevel problem), alternating one step of each. The first-order "
        f"approximation takes alpha's gradient at the current weights, without DARTS' unrolled second-order step. "
        f"After {s['epochs']} epoch(s) every node keeps its two strongest incoming edges (excluding 'none') and "
        f"each edge its strongest operation.",
    ]


def darts_cell_table(result: SearchResult) -> pd.DataFrame:
    """The searched cells as rows: cell, node, its (operation <- input) edges."""
    rows = []
    for cell, nodes in result.genotype.cells.items():
        for n, edges in enumerate(nodes):
            rows.append({"cell": cell, "node": n, **{f"edge {j + 1}": f"{e.op} <- {e.source_name}"
                                                    for j, e in enumerate(edges)}})
    return pd.DataFrame(rows)


def quantile_note(search: dict) -> str:
    """How a budget set as a quantile of the space came about (empty for a fixed budget)."""
    q = search.get("latency_quantile")
    return f"; the latency under which the fastest {100 * q:g} % of the space lies there" if q else ""


def strategy_paragraph(result: SearchResult) -> str:
    """What the mobile space's strategy did, with its settings."""
    s = result.search
    budget = (f"Search strategy: {s['strategy']}, on the target '{s['target']}' with a budget of {s['latency_ms']:.3f} ms "
              f"(INT8, batch 1, {s['threads']} thread(s){quantile_note(s)}). ")
    if result.strategy == "spos":
        return budget + (
            "First a supernet holding every block's weights (shared between "
            f"kernel sizes, expansions and widths by slicing) is trained for {s['epochs']} epoch(s) on {s['images']} "
            "training images, one architecture sampled per batch among those the target's latency table puts within "
            "the budget (single-path one-shot, SPOS; Guo et al. 2020; NNI's RandomOneShot). Then regularized evolution "
            f"(Real et al. 2019; NNI's RegularizedEvolution) with a population of {s['population']} and tournaments of "
            f"{s['sample_size']} scores {s['candidates']} candidates: each inherits the supernet's weights, has its "
            f"batch-norm statistics re-estimated on {s['bn_batches']} training batches and is scored on {s['val_images']} "
            "held-out training images; mutations over the budget are discarded unscored. The best-scoring candidate is "
            "trained from scratch. No test image is used.")
    raced = [sum(len(c["rounds"]) > r for c in result.population) for r in range(len(s["rounds"]))]
    last = s["stability"][-1] if s["stability"] else None
    return budget + (
        f"{s['draws']} architectures are drawn with NNI's sampler among those the target's latency table puts between "
        f"{100 * s['fill']:g} % of the budget and the budget (nets that use the budget), and each gets its cheap scores "
        f"(parameters, MACs, synflow, NASWOT, grad_norm); the {s['candidates']} best by {s['prerank']} race. Successive "
        "halving (Jamieson & Talwalkar 2016; Li et al. 2018): in each round every candidate is trained from scratch "
        "for one epoch of the workflow's own recipe (the same initial seed, images and batch order for all) and "
        f"scored on the split's {s['val_images']} validation images; the best 1/{s['eta']} go on to {s['eta']} times "
        f"the images. Rounds: {', '.join(f'{n} nets on {i} images' for n, i in zip(raced, s['rounds']))}. The best of "
        "the last round is trained from scratch like every net. No test image is used."
        + (f" The ranking's stability between the last two rounds: rank correlation {last['spearman']:.2f} over "
           f"{last['candidates']} nets." if last and last["spearman"] is not None else ""))


def mobile_method(result: SearchResult, table: LatencyTable) -> list[str]:
    from .spaces.mobile import space_size

    space, s = result.space_settings, result.search
    return [
        f"Search space: MobileNetV2's skeleton for {table.image_size}x{table.image_size} inputs, made for edge CPUs. "
        f"A 3x3 stem ({' or '.join(map(str, space['stem_widths']))} channels) is followed by {len(space['stages'])} "
        "stages of blocks and a 1x1 convolution to "
        f"{' or '.join(map(str, space['head_widths']))} channels, global pooling and a linear classifier. Each stage "
        "chooses its width and its depth (blocks after the first can be left out); each block chooses its type, its "
        f"kernel and its expansion ratio ({' or '.join(map(str, space['stages'][1]['expansions']))}): MobileNetV2's "
        f"inverted residual (mbconv: 1x1 expansion, {' or '.join(f'{k}x{k}' for k in space['kernels'])} depthwise "
        f"convolution, 1x1 projection), its fused form (fused: a full {space['fused_kernel']}x{space['fused_kernel']} "
        "expansion, 1x1 projection; EfficientNetV2, MobileDets) or airbench94's dense group (dense: two full "
        f"{space['dense_kernel']}x{space['dense_kernel']} convolutions, a max-pool where the stage strides), which do "
        "more arithmetic on dense kernels, where ONNX Runtime's INT8 convolutions gain most over FP32; its INT8 "
        "depthwise kernel gains little. Blocks after "
        "a stage's first add their input (residual). Expanded channels are multiples of 16 (the INT8 depthwise fast "
        f"path). MobileNetV2-CIFAR is one point of the space, which holds {space_size():.2e} nets.",
        strategy_paragraph(result),
        f"Latency model: every layer configuration of the space ({len(table.layers)}) was exported alone, quantized "
        "with the INT8 settings the workflow deploys and timed on the target, FP32 and INT8. A net's latency is the "
        "sum over its layers, corrected by a least-squares fit (scale, per-layer and constant terms) on "
        f"{table.checks['calibration_nets']} sampled nets timed whole on the target, and checked on "
        f"{table.checks['validation_nets']} other sampled nets: INT8 rank correlation "
        f"{fmt(table.checks['int8']['corrected']['spearman'])}, mean absolute percentage error "
        f"{fmt(100 * table.checks['int8']['corrected']['mape'])}% (uncorrected sum "
        f"{fmt(100 * table.checks['int8']['raw']['mape'])}%); FP32 {fmt(table.checks['fp32']['corrected']['spearman'])} "
        f"and {fmt(100 * table.checks['fp32']['corrected']['mape'])}%.",
    ]


def mobile_block_table(result: SearchResult, table: LatencyTable) -> pd.DataFrame:
    """The searched net layer by layer, with each layer's latency in the target's table."""
    rows = []
    for layer in result.genotype.layers(table.image_size, table.num_classes):
        ms = table.layers[layer.key]
        rows.append({"layer": layer.kind, "in -> out channels": f"{layer.cin} -> {layer.cout}",
                     "input": f"{layer.resolution}x{layer.resolution}", "kernel": layer.kernel,
                     "expansion": layer.expansion if layer.kind in ("mbconv", "fused") else None,
                     "stride": layer.stride, "residual": layer.residual,
                     "FP32 us (alone)": 1000 * ms["fp32"], "INT8 us (alone)": 1000 * ms["int8"]})
    return pd.DataFrame(rows)


def search_sections(doc: Document, result: SearchResult, table: LatencyTable | None, figures: dict[str, str]) -> None:
    """Sections 1 and 2 (method, searched architecture): what they say depends on the space."""
    s = result.search
    doc.h(2, "1. The NAS method")
    if result.space == "darts":
        for text in darts_method(result):
            doc.p(text)
        keys = ("strategy", "epochs", "batch_size", "images", "learning_rate", "arc_learning_rate", "weight_decay",
                "gradient_clip", "seed")
    else:
        for text in mobile_method(result, table):
            doc.p(text)
        doc.image(figures["latency_check"], "The latency table's prediction against whole nets measured on "
                                            f"{table.target} (calibration and validation nets).")
        keys = ("strategy", "target", "latency_ms", "threads", "epochs", "batch_size", "images", "val_images",
                "learning_rate", "weight_decay", "population", "sample_size", "candidates", "mutation_prob",
                "bn_batches", "fill", "draws", "prerank", "eta", "rounds", "seed")
    doc.table(pd.DataFrame([{"setting": k, "value": s[k]} for k in keys if k in s]))

    doc.h(2, "2. The searched architecture")
    if result.space == "darts":
        doc.table(darts_cell_table(result))
        doc.image(figures["normal_cell"], "Normal cell (graphviz, from genotype.json).")
        doc.image(figures["reduce_cell"], "Reduction cell (graphviz, from genotype.json).")
        doc.image(figures["arch_weights"], "Architecture weights (softmax of alpha) per candidate operation, "
                                           "averaged over each cell's edges, after every search epoch.")
    else:
        scored = ("with the supernet's weights" if result.strategy == "spos" else
                  f"after one epoch of the recipe on {s['rounds'][-1]} images (the last round)")
        doc.p(f"Predicted latency on {s['target']}: {fmt(s['predicted_ms'])} ms INT8 (budget {fmt(s['latency_ms'])} ms), "
              f"{fmt(s['predicted_fp32_ms'])} ms FP32; accuracy {scored} "
              f"{fmt(result.metrics['val_accuracy'])} on {s['val_images']} held-out training images.")
        doc.table(mobile_block_table(result, table))
        doc.image(figures["architecture"], "The searched net, block by block.")
        doc.image(figures["population"], "Every candidate the evolution scored, against its predicted INT8 latency."
                  if result.strategy == "spos" else "The search's funnel: each round's candidates and their accuracy, "
                  "and every candidate against its predicted INT8 latency.")
    doc.p(f"Search cost: {s['seconds']} s wall time ({s.get('torch_threads', s.get('threads'))} thread(s), "
          f"{s['accelerator']}, {s['precision']}), {s['images_per_s']:.4g} images/s through a search step; "
          f"CPU: {cpu_name()}.")


def render(study: Study, *, run_times: list[str], html_path: str | Path, md_path: str | Path) -> None:
    """Write report.html and its Markdown twin ``md_path`` from the run's study."""
    result, table, prune, stats, benches = study.result, study.table, study.prune, study.stats, study.benches
    settings, figures, test_images = study.settings, study.figures, study.test_images
    doc = Document()
    doc.h(1, "edgenas: did NAS find a better model, and what did compression add?")
    train_n, val_n = study.split_sizes
    doc.p(f"Data: {stats['source']['dataset']} from {stats['source']['root']}; trained on {train_n} images "
          f"({val_n} more held out for validation), tested on {test_images}. Every number below is read "
          "from this run's result files.")
    banner = wiring_check(benches[0], len(stats["classes"]), train_n)
    if banner:
        doc.p(banner)
    search_sections(doc, result, table, figures)

    doc.h(2, "3. The compression pipeline")
    q, f, t = settings["quantize"], settings["finetune"], settings["train"]
    doc.table(pd.DataFrame([
        {"stage": "train", "settings": f"{t['epochs']} epochs, batch {t['batch_size']}, lr {t['learning_rate']} "
                                       f"({t['schedule']}{', Nesterov' if t['nesterov'] else ''}), label smoothing {t['label_smoothing']}"
                                       + (f", lookahead every {t['lookahead_steps']} steps" if t['lookahead_steps'] else "")
                                       + (f"; DARTS net of width {t['darts']['width']}, {t['darts']['num_cells']} cells"
                                          if result.space == "darts" else "")},
        {"stage": "prune", "settings": f"torch-pruning, {prune['importance']} importance, ratio {prune['ratio']}, "
                                       f"{'global' if prune['global_pruning'] else 'uniform'}, round_to "
                                       f"{prune['round_to']}, kept {prune.get('keep_layers') or 'none'}; params "
                                       f"{prune['before']['params']} -> {prune['after']['params']}, MACs "
                                       f"{prune['before']['macs']} -> {prune['after']['macs']}, validation "
                                       f"accuracy {fmt(prune['before']['val_accuracy'])} -> "
                                       f"{fmt(prune['after']['val_accuracy'])} (before fine-tuning, "
                                       f"{prune['validation_images']} images)"},
        {"stage": "fine-tune", "settings": f"{f['epochs']} epochs, batch {f['batch_size']}, lr {f['learning_rate']} "
                                           "(cosine), " + (f"distilled from the baseline (weight {f['distill_weight']}, "
                                                           f"temperature {f['temperature']})"
                                                           if f["distill_weight"] else "labels only")},
        {"stage": "INT8", "settings": f"ONNX Runtime static, {q['format']}, per-channel {q['per_channel']}, "
                                      f"activations {q['activation_type']}, weights {q['weight_type']}"
                                      f"{' (7-bit)' if q['reduce_range'] else ''}, "
                                      f"{q['calibration_method']} calibration on {settings['data']['calibration_size']} "
                                      f"training images, FP32 op types {q['keep_fp32'] or 'none'}, "
                                      f"quant_pre_process {q['pre_process']}"},
    ]))

    doc.h(2, "4. Results")
    for bench in benches:
        target = bench.target.iloc[0]
        doc.h(3, f"Target: {target}")
        doc.p(f"CPU {bench.cpu.iloc[0]} ({bench.isa.iloc[0]}), {bench.os.iloc[0]}, ONNX Runtime "
              f"{bench.onnxruntime.iloc[0]}; batch 1. "
              "peak_fraction is the attained MAC rate over the peak of a large matrix multiply of the same data "
              "type on the same threads, measured in the same benchmark.")
        doc.table(for_readers(bench[RESULT_COLUMNS]))
        for name, caption in [("accuracy_latency", "Accuracy vs latency (1 thread) with the Pareto front."),
                              ("accuracy_size", "Accuracy vs file size with the Pareto front."),
                              ("stage_gains", "Speed-up and size reduction of each stage over the FP32 baseline.")]:
            doc.image(figures[f"{target}/{name}"], caption)
    for bench in study.emulated:
        target = bench.target.iloc[0]
        doc.h(3, f"Target: {target} (emulated: accuracy only)")
        doc.p(f"CPU {bench.cpu.iloc[0]} ({bench.isa.iloc[0]}), run by QEMU's user-mode emulator on this machine "
              f"({bench.os.iloc[0]}), ONNX Runtime {bench.onnxruntime.iloc[0]}: the device program ran on that "
              "CPU's own kernels, so its accuracies are that CPU's; its latencies are QEMU's and are neither shown "
              f"nor compared with real ones (results/bench_{target}.csv marks them emulated). Accuracy of every "
              f"deployed file on the same {int(bench.test_images.iloc[0])} test images here and on {target}, and "
              "the share of those images both predict alike:")
        doc.table(for_readers(analysis.kernel_accuracy(bench)))
    losses = study.int8_losses()
    if len(losses):
        doc.p("**INT8 below its FP32 beyond noise.** These INT8 files fell below the FP32 file they were quantized "
              "from by more than twice the standard error of the FP32 accuracy. That is rarely the cost of "
              "quantization itself: ONNX Runtime's x86 kernels without VNNI (isa x86-avx2) add pairs of u8 x s8 "
              "products into 16-bit lanes that saturate with 8-bit weights, so the same file scores lower there "
              "than on VNNI or Arm CPUs. Quantize with 7-bit weights (quantize.reduce_range: true) or compare on "
              "another CPU before blaming INT8 (benchmarks/int8_isa.py measures both).")
        doc.table(for_readers(losses.drop(columns=["beyond noise"])))
    doc.image(figures["training_curves"], "Training loss and validation accuracy of every trained net against "
                                          "wall-clock minutes on this machine, one marker per epoch (the searched "
                                          "net, its fine-tuning from where its training ended, and each control): "
                                          "who is ahead at which training budget. With controls, two trainings "
                                          "run side by side on half the cores each, so every net's minutes are "
                                          "shared alike.")

    doc.h(2, "5. Analysis")
    doc.h(3, "Did NAS help?")
    controls = [m for m in benches[0].model.unique() if m != "nas"]
    if not controls:
        doc.p("No controls were trained (controls.models is empty), so this run cannot say whether NAS helped. "
              "config/presets/study.yaml trains random architectures, ResNet-20, MobileNetV2 and airbench94 with the same recipe.")
    for bench in benches:
        if not controls:
            break
        target = bench.target.iloc[0]
        doc.h(4, f"{target}")
        deployed = analysis.deployed_models(bench)
        nas = deployed[deployed.model == "nas"].iloc[0]
        if nas["on Pareto front"]:
            verdict = ("is on the accuracy-latency Pareto front of the deployed models: no control is both at least "
                       "as accurate and at least as fast")
        else:
            verdict = f"is not on the Pareto front: {nas['dominated by']} is at least as accurate and at least as fast"
        doc.p(f"As deployed (INT8, batch 1, {int(bench.threads.min())} thread(s)), the searched net after pruning, "
              f"fine-tuning and INT8 scores {fmt(nas.accuracy)} at {fmt(nas['p50 ms'])} ms and {verdict}. Every "
              "control is deployed as its trained net quantized with the same INT8 settings.")
        doc.table(for_readers(deployed))
        for stage, label in (("baseline_int8", "quantized alike (INT8 of each trained net, before any pruning)"),
                             ("baseline", "as trained (FP32)")):
            table_ = analysis.nas_vs_controls(bench, stage)
            nas_row = table_[table_.model == "nas"].iloc[0]
            others = table_[table_.model != "nas"]
            best = others.loc[others.accuracy.idxmax()]
            verdict = "beyond" if best["beyond noise"] else "within"
            text = (f"Same recipe, epochs and data, {label}: the searched net scores {fmt(nas_row.accuracy)} "
                    f"(standard error {fmt(nas_row['std error'])}); the best control, {best.model}, "
                    f"{fmt(best.accuracy)}. NAS minus best control: {fmt(-best['vs NAS (points)'])} points, {verdict} "
                    "twice the combined standard error of the two test accuracies. ")
            randoms = others[others.model.str.startswith("random")]
            if len(randoms):
                top = randoms.loc[randoms.accuracy.idxmax()]
                text += (f"Against the best of {len(randoms)} random architecture(s) of the searched space "
                         f"({top.model}, {fmt(top.accuracy)}): {fmt(-top['vs NAS (points)'])} points, "
                         f"{'beyond' if top['beyond noise'] else 'within'} twice the combined standard error. ")
            if len(randoms) > 1:
                text += (f"Random architectures: {fmt(randoms.accuracy.mean())} ± {fmt(randoms.accuracy.std())} over "
                         f"{len(randoms)} seeds. ")
            elif len(randoms) == 1:
                text += "One random-architecture seed: its seed-to-seed spread is not measured (add seeds). "
            doc.p(text)
            doc.table(for_readers(table_))
        random = analysis.nas_vs_random(bench)
        if random and random["randoms"] > 1:
            doc.p(f"Did the search beat random? Quantized alike, the searched net ({fmt(random['nas'])}, standard "
                  f"error {fmt(random['nas_se'])}) is {fmt(random['vs_best_points'])} points from the best of "
                  f"{random['randoms']} random nets of its space drawn under the same budget ({random['best']}, "
                  f"{fmt(random['best_accuracy'])}, standard error {fmt(random['best_se'])}) and "
                  f"{fmt(random['vs_mean_points'])} points from their mean ({fmt(random['mean'])}, spread "
                  f"{fmt(random['spread'])} over the seeds, standard error of the mean {fmt(random['mean_se'])}). "
                  + ("It beat random: at least the best random net and at least 1 point above their mean."
                     if random["beats_random"] else
                     "It did not beat random by this study's test: at least the best random net and at least "
                     "1 point above their mean."))
    doc.h(3, "What did compression add?")
    for bench in benches:
        steps = analysis.compression_steps(bench)
        final = steps[steps.stage == steps.stage.iloc[-1]]
        doc.h(4, f"{bench.target.iloc[0]}")
        speed = ", ".join(f"{times(r['speed-up (total)'], 'faster', 'slower')} at {r.threads} thread(s)"
                          for _, r in final.iterrows())
        doc.p(f"From the FP32 baseline to the final model: {speed}; "
              f"{fmt(final['smaller (total)'].iloc[0])}x smaller; accuracy change "
              f"{fmt(final['accuracy change (points)'].iloc[0])} points.")
        doc.table(for_readers(steps))
        alone = analysis.int8_alone(bench)
        if len(alone):
            doc.p("INT8 alone (the unpruned net quantized with the same settings) against the whole chain "
                  "(pruning, fine-tuning, INT8), both relative to the FP32 baseline:")
            doc.table(for_readers(alone))
        tta = analysis.flip_tta(bench)
        if len(tta):
            first = tta.iloc[0]
            doc.p(f"Flip test-time augmentation, not part of the deployed model: the final model run on each image "
                  f"and its mirror (one batch of 2, logits averaged) scores {100 * first['accuracy with flip TTA']:.2f} % "
                  f"against {100 * first.accuracy:.2f} % ({first['gain (points)']:+.2f} points, standard error "
                  f"{first['std error of the gain (points)']:.2f}) at {first['latency ratio']:.2f}x the latency "
                  f"({int(first.threads)} thread(s)). Every other number here is of one pass per image.")
            doc.table(for_readers(tta))

    doc.h(2, "6. Setup")
    source = stats["source"]
    formats = ", ".join(f"{n} {k}" for k, n in source["formats"].items())
    lossy = any(k in (".jpg", ".jpeg") for k in source["formats"])
    doc.p(f"Data set: {source['dataset']} from {source['root']} ({formats}); {stats['images']['train']} training "
          f"and {stats['images']['test']} test images at {stats['image_size']}x{stats['image_size']}, of which the "
          f"run trained on {train_n}, validated on {val_n} and tested on {test_images}."
          + (" The images are JPEG-compressed, so accuracies run a little below those on the original CIFAR-10."
             if lossy else ""))
    doc.p(f"Hardware (where the report was written): {cpu_name()}, {os.cpu_count()} cores, "
          f"{platform.platform()}; benchmark targets: "
          f"{', '.join([b.target.iloc[0] for b in benches] + [f'{b.target.iloc[0]} (emulated)' for b in study.emulated])}.")
    doc.table(versions())
    doc.p("Wall time of every job (Snakemake's benchmark files, results/runtimes/):")
    doc.table(analysis.run_times(run_times))
    doc.p("The config of this run:")
    doc.pre(yaml.safe_dump(settings, sort_keys=False))

    for path, text in [(html_path, doc.html()), (md_path, doc.markdown(Path(md_path).parent))]:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(text)
