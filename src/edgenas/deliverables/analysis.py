"""The study's analysis: the tables that answer "did NAS help?" and "what did compression add?".

Computed once from the benchmark CSVs (pandas in, pandas out); the report renders them and
the figures plot them, neither computes them again.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from ..controls import RANDOM, RANDOM_AT_FINAL, of_compression
from ..measurement.bench import FLIP_TTA
from ..registry import CHAIN, FINAL, INT8_OF, SEARCHED, final_stage

ONE_THREAD = 1  # plots compare models at one thread, the edge-device case; tables give every count


def standard_error(accuracy: float, images: int) -> float:
    """Binomial standard error of a test accuracy measured on ``images`` images."""
    return math.sqrt(max(accuracy * (1 - accuracy), 0.0) / images)


def paired_standard_error(first: np.ndarray, second: np.ndarray) -> float:
    """Standard error of the difference in accuracy of two models scored on the same images (each a
    right/wrong flag per image): the variance of the per-image difference (+1 where only the first is
    right, -1 where only the second is) over the image count. It counts only the images the two
    disagree on, so it is smaller than two independent test sets' when the models err alike, which
    nets of one data set and recipe do. It covers the draw of test images, not seed-to-seed spread."""
    n = len(first)
    only_first, only_second = int(np.sum(first & ~second)), int(np.sum(second & ~first))
    variance = (only_first + only_second) / n - ((only_first - only_second) / n) ** 2
    return math.sqrt(max(variance, 0.0) / n)


def _flags(row) -> np.ndarray | None:
    flags = getattr(row, "correct", None)
    return flags if isinstance(flags, np.ndarray) else None


def is_paired(one, other) -> bool:
    """Whether two benchmark rows carry right/wrong flags of the same images (``Study`` attaches them
    where a row's accuracy is this machine's evaluation of the whole test subset)."""
    a, b = _flags(one), _flags(other)
    return a is not None and b is not None and len(a) == len(b)


def difference_se(one, other) -> float:
    """Standard error of the difference between two rows' accuracies: paired on the shared test images
    where both rows carry their flags (``paired_standard_error``), else as if measured on independent
    test sets (a device's sample, a flip-TTA row)."""
    if is_paired(one, other):
        return paired_standard_error(_flags(one), _flags(other))
    return math.hypot(standard_error(one.accuracy, one.test_images), standard_error(other.accuracy, other.test_images))


def model_label(row: pd.Series) -> str:
    """'nas int8', 'resnet20', 'nas baseline (pytorch)': one name per benchmarked model."""
    name = f"{row['model']} {row['stage']}" if row["model"] == "nas" else row["model"]
    return name + (" (pytorch)" if row["format"].startswith("pytorch") else "")


def deployed(bench: pd.DataFrame, threads: int | None = ONE_THREAD) -> pd.DataFrame:
    """The ONNX rows (what is deployed) at ``threads`` (all counts for None), with a ``label`` column."""
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


def nas_vs_controls(bench: pd.DataFrame, stage: str = "baseline", searched: str = "nas") -> pd.DataFrame:
    """A searched net against its controls, each at ``stage`` (``baseline``: as trained, FP32;
    ``baseline_int8``: the same nets quantized alike) at the lowest thread count: accuracy with
    its standard error (on the images that row was measured on), the difference, its standard error
    (paired on the shared test images where the rows carry them: ``difference_se``) and whether it
    exceeds twice that. ``searched``: ``nas`` (the search under its budget,
    against every control of that question) or ``nas_at_final`` (the search under the final model's
    latency, against the random nets drawn under it)."""
    rows = bench[bench["format"].str.startswith("onnx") & (bench.threads == bench.threads.min())
                 & (bench.stage == stage)]
    same = (lambda m: not of_compression(m)) if searched == "nas" else (lambda m: RANDOM_AT_FINAL.fullmatch(m))
    rows = rows[(rows.model == searched) | rows.model.map(lambda m: m != searched and bool(same(m)))]
    nas = rows[rows.model == searched].iloc[0]
    out = []
    for _, r in rows.iterrows():
        se = standard_error(r.accuracy, r.test_images)
        diff = r.accuracy - nas.accuracy
        both = difference_se(r, nas)
        out.append({"model": r.model, "accuracy": r.accuracy, "std_error": se,
                    "vs_nas_points": 100 * diff if r.model != searched else None,
                    "difference_se_points": 100 * both if r.model != searched else None,
                    "paired": is_paired(r, nas) if r.model != searched else None,
                    "beyond_noise": (abs(diff) > 2 * both) if r.model != searched else None,
                    "p50_ms": r.latency_ms_p50, "size_mb": r.size_mb, "params": int(r.params), "macs": int(r.macs)})
    return pd.DataFrame(out)


RANDOM_MARGIN = 0.01  # "NAS beat random": at least the kept random net and the random mean + 1 point
# Fewer random nets than this cannot tell a search from a lucky draw: no verdict, the difference and its SE only
MIN_RANDOMS = 3


def kept_random(randoms: pd.DataFrame, val_accuracy: Mapping[str, float | None]) -> tuple[pd.Series, str]:
    """The random net a random search would keep, and what picked it: the best on the validation
    images its training held out (``val_accuracy``, model -> accuracy), as any search may look, not
    the best on the test set: the best test score of N equal nets lies above a single one's by
    chance alone (by about 1.16 standard deviations for 5), which flatters random. Without every
    random net's validation accuracy (a split of 0) the test set picks, and the record says so."""
    scores = randoms.model.map(lambda m: val_accuracy.get(m))
    if scores.notna().all():
        return randoms.loc[scores.astype(float).idxmax()], "validation"
    return randoms.loc[randoms.accuracy.idxmax()], "test"


def nas_vs_random(bench: pd.DataFrame, stage: str = "baseline_int8",
                  val_accuracy: Mapping[str, float | None] | None = None, searched: str = "nas") -> dict | None:
    """The test of the search itself: the searched net against the random nets of its space drawn
    under the same budget and trained alike (``stage``: quantized alike by default, before any
    pruning), with the random nets' seed-to-seed spread. The search beat random when its net is
    at least as accurate as the random net a random search would keep (``kept_random``) and
    ``RANDOM_MARGIN`` above their mean (Yang et al. 2020: many NAS methods do not beat their
    space's average); with fewer than ``MIN_RANDOMS`` random nets there is no verdict (``verdict``
    None), only the difference and its standard error. ``searched``: ``nas``, or ``nas_at_final``
    against the random nets drawn under the final model's latency. None without random nets or
    without the searched net."""
    if not (bench.model == searched).any():
        return None
    versus = nas_vs_controls(bench, stage, searched)
    pattern = RANDOM if searched == "nas" else RANDOM_AT_FINAL
    randoms = versus[versus.model.map(lambda m: pattern.fullmatch(m) is not None)]
    if randoms.empty:
        return None
    nas = versus[versus.model == searched].iloc[0]
    best, picked_by = kept_random(randoms, val_accuracy or {})
    mean, spread = float(randoms.accuracy.mean()), float(randoms.accuracy.std()) if len(randoms) > 1 else math.nan
    return {"randoms": len(randoms), "nas": float(nas.accuracy), "nas_se": float(nas["std_error"]),
            "best": best.model, "best_accuracy": float(best.accuracy), "best_se": float(best["std_error"]),
            "best_beyond": bool(best["beyond_noise"]), "picked_by": picked_by,
            "mean": mean, "spread": spread, "mean_se": spread / math.sqrt(len(randoms)),
            "vs_best_points": 100 * (nas.accuracy - best.accuracy), "vs_mean_points": 100 * (nas.accuracy - mean),
            "difference_se": float(best["difference_se_points"]) / 100, "paired": bool(best["paired"]),
            "beats_random": bool(nas.accuracy >= best.accuracy and nas.accuracy >= mean + RANDOM_MARGIN),
            "verdict": (bool(nas.accuracy >= best.accuracy and nas.accuracy >= mean + RANDOM_MARGIN)
                        if len(randoms) >= MIN_RANDOMS else None)}




def deployed_models(bench: pd.DataFrame) -> pd.DataFrame:
    """Each model as it would be deployed (the NAS net through the whole compression chain, each
    control as its INT8 baseline) at the lowest thread count: whether it is on the accuracy-latency
    Pareto front, and which models are at least as accurate and at least as fast."""
    rows = bench[bench["format"].str.startswith("onnx") & (bench.threads == bench.threads.min())]
    final = rows[rows.apply(lambda r: r.stage == final_stage(r.model), axis=1)]
    out = []
    for _, r in final.iterrows():
        better = final[(final.model != r.model) & (final.accuracy >= r.accuracy)
                       & (final.latency_ms_p50 <= r.latency_ms_p50)]
        out.append({"model": r.model, "stage": r.stage, "accuracy": r.accuracy,
                    "std_error": standard_error(r.accuracy, r.test_images), "p50_ms": r.latency_ms_p50,
                    "size_mb": r.size_mb, "on_pareto_front": better.empty,
                    "dominated_by": ", ".join(better.model) or None})
    return pd.DataFrame(out).sort_values("p50_ms", ignore_index=True)


def compression_steps(bench: pd.DataFrame) -> pd.DataFrame:
    """Per NAS stage and thread count: latency, size and accuracy, each against the previous
    stage and cumulatively against the FP32 baseline."""
    rows = bench[(bench.model == "nas") & bench["format"].str.startswith("onnx")]
    out = []
    for threads, group in rows.groupby("threads"):
        group = group.set_index("stage").reindex([s for s in CHAIN if s in set(group.stage)])
        prev = None
        base = group.iloc[0]
        for stage, r in group.iterrows():
            ref = prev if prev is not None else r
            out.append({"threads": int(threads), "stage": stage, "p50_ms": r.latency_ms_p50,
                        "speedup_stage": ref.latency_ms_p50 / r.latency_ms_p50,
                        "speedup_total": base.latency_ms_p50 / r.latency_ms_p50,
                        "size_mb": r.size_mb, "smaller_stage": ref.size_mb / r.size_mb,
                        "smaller_total": base.size_mb / r.size_mb, "accuracy": r.accuracy,
                        "accuracy_change_points": 100 * (r.accuracy - base.accuracy)})
            prev = r
    return pd.DataFrame(out)


def int8_alone(bench: pd.DataFrame) -> pd.DataFrame:
    """Per thread count: the unpruned NAS net quantized as it is, against its FP32 baseline and
    against the whole chain's final model (what pruning and fine-tuning add on top of INT8)."""
    rows = bench[(bench.model == "nas") & bench["format"].str.startswith("onnx")]
    out = []
    for threads, group in rows.groupby("threads"):
        by = group.set_index("stage")
        if "baseline_int8" not in by.index:
            continue
        base, alone, final = by.loc["baseline"], by.loc["baseline_int8"], by.loc["int8"]
        out.append({"threads": int(threads), "int8_alone_speedup": base.latency_ms_p50 / alone.latency_ms_p50,
                    "int8_alone_smaller": base.size_mb / alone.size_mb,
                    "int8_alone_accuracy_change_points": 100 * (alone.accuracy - base.accuracy),
                    "chain_speedup": base.latency_ms_p50 / final.latency_ms_p50,
                    "chain_smaller": base.size_mb / final.size_mb,
                    "chain_accuracy_change_points": 100 * (final.accuracy - base.accuracy)})
    return pd.DataFrame(out)


# What the final model (pruned, fine-tuned with distillation, INT8) is held against, and what each
# comparison isolates: (model, stage, what the difference measures)
COMPRESSION_REFERENCES = [
    ("nas", "baseline", "whole_chain"),                              # the unpruned searched net, FP32
    ("nas", "baseline_int8", "pruning_and_finetuning"),              # the unpruned searched net, INT8 alone
    ("nas_at_final", "baseline_int8", "beyond_a_smaller_architecture"),  # searched at the final's latency
    ("pruned_scratch", "baseline_int8", "inherited_weights_and_distillation"),  # the pruned architecture, fresh
]


def compression_decomposition(bench: pd.DataFrame) -> pd.DataFrame:
    """"What did compression add?" against controls that can say no, at the lowest thread count: the
    final model (INT8, as deployed) against the unpruned net in FP32 and in INT8, against a net
    searched at the final model's latency (what pruning and fine-tuning added beyond choosing a smaller
    architecture) and against the pruned architecture trained from scratch (what the inherited weights
    and distillation added). Per reference: its accuracy and standard error, latency and size; the final
    model's accuracy minus it, with the standard error of that difference (paired on the shared test
    images where the rows carry them) and whether it exceeds twice it (a negative difference beyond
    noise: the control won); the final model's speed-up and size
    ratio over it. References the run did not train are left out."""
    rows = bench[bench["format"].str.startswith("onnx") & (bench.threads == bench.threads.min())]
    by = {(r.model, r.stage): r for r in rows.itertuples()}
    final = by[(SEARCHED, FINAL)]
    out = []
    for model, stage, isolates in COMPRESSION_REFERENCES:
        if (model, stage) not in by:
            continue
        r = by[(model, stage)]
        se = standard_error(r.accuracy, r.test_images)
        both = difference_se(final, r)
        diff = final.accuracy - r.accuracy
        out.append({"model": model, "stage": stage, "isolates": isolates, "accuracy": r.accuracy, "std_error": se,
                    "p50_ms": r.latency_ms_p50, "size_mb": r.size_mb, "final_minus_points": 100 * diff,
                    "difference_se_points": 100 * both, "paired": is_paired(final, r),
                    "beyond_noise": bool(abs(diff) > 2 * both),
                    "final_speedup": r.latency_ms_p50 / final.latency_ms_p50, "final_smaller": r.size_mb / final.size_mb})
    return pd.DataFrame(out)


def compression_verdicts(decomposition: pd.DataFrame) -> dict[str, dict]:
    """Each comparison of ``compression_decomposition`` by its reference model (``nas_fp32`` and
    ``nas_int8`` for the unpruned net): the final model's difference, its standard error, and what it
    says: ``gain`` (beyond noise, for the final model), ``loss`` (beyond noise, for the control) or
    ``noise``."""
    out = {}
    for _, r in decomposition.iterrows():
        key = {"baseline": "nas_fp32", "baseline_int8": "nas_int8"}[r.stage] if r.model == "nas" else r.model
        diff = r["final_minus_points"]
        out[key] = {"points": diff, "se": r["difference_se_points"], "paired": bool(r.paired),
                    "says": "noise" if not r["beyond_noise"] else "gain" if diff > 0 else "loss",
                    "speedup": r["final_speedup"], "smaller": r["final_smaller"], "accuracy": r.accuracy,
                    "ms": r["p50_ms"], "size_mb": r.size_mb}
    return out


def int8_on_each(bench: pd.DataFrame) -> pd.DataFrame:
    """INT8 alone on each net of the decomposition, at the lowest thread count: the FP32 file against
    the INT8 file quantized from it (the searched net before and after pruning and fine-tuning, the
    net searched at the final's latency, the pruned architecture from scratch): the accuracy change
    with its standard error, the speed-up and the size ratio."""
    rows = bench[bench["format"].str.startswith("onnx") & (bench.threads == bench.threads.min())]
    by = {(r.model, r.stage): r for r in rows.itertuples()}
    out = []
    for model, fp32, int8 in [("nas", "baseline", "baseline_int8"), ("nas", "finetuned", "int8"),
                              ("nas_at_final", "baseline", "baseline_int8"), ("pruned_scratch", "baseline", "baseline_int8")]:
        if (model, fp32) in by and (model, int8) in by:
            a, b = by[(model, fp32)], by[(model, int8)]
            se = difference_se(a, b)
            out.append({"model": model, "fp32_stage": fp32, "int8_stage": int8, "fp32_accuracy": a.accuracy,
                        "int8_accuracy": b.accuracy, "change_points": 100 * (b.accuracy - a.accuracy),
                        "change_se_points": 100 * se,
                        "speedup": a.latency_ms_p50 / b.latency_ms_p50, "smaller": a.size_mb / b.size_mb})
    return pd.DataFrame(out)


def flip_tta(bench: pd.DataFrame) -> pd.DataFrame:
    """Per thread count: the final model as deployed (one pass) against the same file with flip
    test-time augmentation (the image and its mirror): accuracy gained, latency paid. Empty when
    the benchmark has no flip-TTA row (bench.flip_tta off)."""
    rows = bench[(bench.model == "nas") & bench["format"].str.startswith("onnx")]
    out = []
    for threads, group in rows.groupby("threads"):
        by = group.set_index("stage")
        tta = FINAL + FLIP_TTA
        if tta not in by.index:
            continue
        one, two = by.loc[FINAL], by.loc[tta]
        out.append({"threads": int(threads), "accuracy": one.accuracy, "accuracy_flip_tta": two.accuracy,
                    "gain_points": 100 * (two.accuracy - one.accuracy),
                    "gain_se_points": math.hypot(standard_error(one.accuracy, one.test_images),
                                                        standard_error(two.accuracy, two.test_images)) * 100,
                    "p50_ms": one.latency_ms_p50, "p50_ms_flip_tta": two.latency_ms_p50,
                    "latency_ratio": two.latency_ms_p50 / one.latency_ms_p50})
    return pd.DataFrame(out)


def kernel_accuracy(bench: pd.DataFrame) -> pd.DataFrame:
    """A device's accuracy beside this machine's, per deployed file, on the same images: what the
    device's kernels change (ARM's INT8 kernels fuse and round differently from x86's; x86 without
    VNNI saturates), and the share of images both predict alike."""
    rows = bench[bench["format"].str.startswith("onnx")].drop_duplicates(["model", "stage", "format"])
    return pd.DataFrame({"model": rows.model, "stage": rows.stage, "format": rows["format"],
                         "images": rows.test_images, "accuracy_here": rows.host_accuracy,
                         f"accuracy_on_{rows.target.iloc[0]}": rows.accuracy,
                         "difference_points": 100 * (rows.accuracy - rows.host_accuracy),
                         "same_top1": rows.host_agreement}).reset_index(drop=True)


INT8_PAIRS = [(fp32, int8) for int8, fp32 in INT8_OF.items()]  # (FP32 stage, the INT8 file made from it)


def int8_losses(bench: pd.DataFrame) -> pd.DataFrame:
    """Each INT8 file against the FP32 file it was quantized from, on one target, at its lowest
    thread count: the change in accuracy and whether the INT8 file is below by more than twice
    the standard error of that change (paired on the same images where the rows carry them). Beyond that the loss is rarely quantization's own: the
    same file is exact on other kernels (x86 without VNNI saturates u8 x s8 pairs with 8-bit
    weights; ``isa`` names the target's)."""
    rows = bench[bench["format"].str.startswith("onnx") & (bench.threads == bench.threads.min())]
    out = []
    for model, group in rows.groupby("model", sort=False):
        by = group.set_index("stage")
        for fp32, int8 in INT8_PAIRS:
            if fp32 in by.index and int8 in by.index:
                a, b = by.loc[fp32], by.loc[int8]
                se = difference_se(a, b)
                out.append({"model": model, "fp32_stage": fp32, "int8_stage": int8, "fp32": a.accuracy, "int8": b.accuracy,
                            "change_points": 100 * (b.accuracy - a.accuracy), "two_se_points": 200 * se,
                            "images": int(b.test_images), "isa": b.isa,
                            "beyond_noise": bool(a.accuracy - b.accuracy > 2 * se)})
    return pd.DataFrame(out)


def run_times(paths: list[str]) -> pd.DataFrame:
    """Wall time of every job from Snakemake's ``benchmark:`` files (results/runtimes/<rule>[/<wildcards>].tsv)."""
    from ..records import read_csv

    rows = []
    for path in paths:
        p = Path(path)
        rel = p.relative_to(p.parents[1]) if p.parent.name != "runtimes" else Path(p.name)
        seconds = float(read_csv(p, sep="\t")["s"].iloc[-1])
        rows.append({"job": str(rel.with_suffix("")), "seconds": seconds, "minutes": seconds / 60})
    return pd.DataFrame(rows).sort_values("job", ignore_index=True) if rows else pd.DataFrame(columns=["job"])
