"""Every fact the report, the paper and the slides state, computed once into ``facts.json``.

The templates (``report/templates/``) own the words and the layout; this module owns the
numbers: it reads them from ``study.Study`` and ``analysis`` and formats them for readers
(significant digits, a decimal comma in Vietnamese), so a template only places them.

- ``paper``: scalars, flags and tables of the paper and the slides, in ``report.language``.
- ``report``: what the HTML/Markdown report shows (every table of the run, in ``report.language``).
- ``figures``: the names of the run's figures (``results/figures/<name>.png``).
"""
from __future__ import annotations

import json
import math
import os
import platform
from pathlib import Path
from typing import Any

import pandas as pd

from ..device.ondevice import cpu_name
from . import analysis
from .paper_facts import final_latency, paper_facts
from .study import Study, versions, wiring_check

# ---- the HTML/Markdown report ----

def report_facts(study: Study, run_times: list[str], words: dict) -> dict[str, Any]:
    """What the report shows: the run's tables as readers see them (``report.for_readers``, in the
    language of ``words``) and the raw values its sentences state (the template formats them)."""
    from functools import partial

    from .report import RESULT_COLUMNS
    from .report import table as any_table

    table = partial(any_table, words=words)

    result, s = study.result, study.result.search
    train_n, val_n = study.split_sizes
    out: dict[str, Any] = {
        "data": {"dataset": study.stats["source"]["dataset"], "root": study.stats["source"]["root"],
                 "formats": study.stats["source"]["formats"], "train": study.stats["images"]["train"],
                 "test": study.stats["images"]["test"], "image_size": study.stats["image_size"],
                 "train_n": train_n, "val_n": val_n, "test_n": study.test_images},
        "wiring": wiring_check(study), "space": result.space, "strategy": result.strategy, "search": s,
        "space_settings": result.space_settings, "val_accuracy": result.metrics.get("val_accuracy"),
        "prune": study.prune, "settings": study.settings, "train_precision": study.train_precision,
        "cpu": cpu_name(), "cores": os.cpu_count(),
        "platform": platform.platform(), "versions": table(pd.DataFrame(versions()), readers=False),
        "run_times": table(analysis.run_times(run_times), readers=False),
    }
    if result.space == "darts":
        from ..search.spaces.darts import reduction_cells

        out["reductions"] = reduction_cells(result.space_settings["num_cells"])
        out["cells"] = table(pd.DataFrame(
            [{"cell": cell, "node": n, **{f"edge_{j + 1}": f"{e.op} <- {e.source_name}" for j, e in enumerate(edges)}}
             for cell, nodes in result.genotype.cells.items() for n, edges in enumerate(nodes)]), readers=False)
    else:
        from ..search.spaces import hardware_aware

        size = hardware_aware(result.space).space_size()
        out["space_size"] = f"{size:,}" if size < 1e6 else f"{size:.2e}"
        out["raced"] = result.nets_per_round
        out["latency_table"] = {"target": study.table.target, "layers": len(study.table.layers),
                                "checks": study.table.checks}
        out["blocks"] = table(pd.DataFrame(
            [{"layer": layer.kind, "channels": f"{layer.cin} -> {layer.cout}",
              "input": f"{layer.resolution}x{layer.resolution}", "kernel": layer.kernel,
              "expansion": layer.expansion if layer.kind in ("mbconv", "fused") else None, "stride": layer.stride,
              "residual": layer.residual, "fp32_us_alone": 1000 * study.table.layers[layer.key]["fp32"],
              "int8_us_alone": 1000 * study.table.layers[layer.key]["int8"]}
             for layer in result.genotype.layers(study.table.image_size, study.table.num_classes)]), readers=False)
    keys = (("strategy", "epochs", "batch_size", "images", "learning_rate", "arc_learning_rate", "weight_decay",
             "gradient_clip", "seed") if result.space == "darts" else
            ("strategy", "target", "latency_ms", "threads", "epochs", "batch_size", "images", "val_images",
             "learning_rate", "weight_decay", "population", "sample_size", "candidates", "mutation_prob",
             "bn_batches", "fill", "draws", "prerank", "eta", "rounds", "seed"))
    out["search_settings"] = table(pd.DataFrame([{"setting": k, "value": s[k]} for k in keys if k in s]), readers=False)
    out["targets"] = [target_facts(b, RESULT_COLUMNS, study.val_accuracy, words) for b in study.benches]
    out["emulated"] = [{"target": b.target.iloc[0], "cpu": b.cpu.iloc[0], "isa": b.isa.iloc[0], "os": b.os.iloc[0],
                        "onnxruntime": b.onnxruntime.iloc[0], "test_images": int(b.test_images.iloc[0]),
                        "accuracy": table(analysis.kernel_accuracy(b))} for b in study.emulated]
    losses = study.int8_losses()
    out["int8_losses"] = table(losses.drop(columns=["beyond_noise"])) if len(losses) else None
    # the second budget, where the run has it, with the final model as the benchmark timed it; its search's record
    out["final_budget"] = dict(study.final_budget, bench_ms=final_latency(study.bench())) if study.final_budget else None
    out["search_at_final"] = study.search_at_final.search if study.search_at_final else None
    return out


def target_facts(bench: pd.DataFrame, columns: list[str], val_accuracy: dict[str, float | None],
                 words: dict) -> dict[str, Any]:
    """One real target's tables and verdicts; ``val_accuracy`` (control -> validation accuracy)
    picks the random net a random search would keep; tables in the language of ``words``."""
    from functools import partial

    from .report import table as any_table

    table = partial(any_table, words=words)

    deployed = analysis.deployed_models(bench)
    nas = deployed[deployed.model == "nas"].iloc[0]
    out: dict[str, Any] = {
        "target": bench.target.iloc[0], "cpu": bench.cpu.iloc[0], "isa": bench.isa.iloc[0], "os": bench.os.iloc[0],
        "onnxruntime": bench.onnxruntime.iloc[0], "threads": int(bench.threads.min()),
        "results": table(bench[columns]), "controls": [m for m in bench.model.unique() if m != "nas"],
        "deployed": table(deployed), "nas": {"accuracy": nas.accuracy, "ms": nas["p50_ms"], "size_mb": nas.size_mb,
                                             "on_front": bool(nas["on_pareto_front"]), "dominated_by": nas["dominated_by"]},
        "versus": [],
    }
    for stage in ("baseline_int8", "baseline"):
        versus = analysis.nas_vs_controls(bench, stage)
        if (versus.model != "nas").any():
            others = versus[versus.model != "nas"]
            best = others.loc[others.accuracy.idxmax()]
            nas_row = versus[versus.model == "nas"].iloc[0]
            out["versus"].append({
                "stage": stage, "table": table(versus), "nas": nas_row.accuracy, "nas_se": nas_row["std_error"],
                "best": best.model, "best_accuracy": best.accuracy, "best_points": -best["vs_nas_points"],
                "best_beyond": bool(best["beyond_noise"]), "best_paired": bool(best["paired"]),
                "random": analysis.nas_vs_random(bench, stage, val_accuracy)})
    out["random"] = next((v["random"] for v in out["versus"] if v["stage"] == "baseline_int8"), None)
    out["random_at_final"] = analysis.nas_vs_random(bench, "baseline_int8", val_accuracy, searched="nas_at_final")
    at_final = analysis.nas_vs_controls(bench, "baseline_int8", "nas_at_final") if (bench.model == "nas_at_final").any() \
        else None
    out["versus_at_final"] = table(at_final) if at_final is not None and len(at_final) > 1 else None
    decomposition = analysis.compression_decomposition(bench)
    out["decomposition"] = {"table": table(decomposition),
                            "verdicts": analysis.compression_verdicts(decomposition)}
    each = analysis.int8_on_each(bench)
    out["int8_each"] = table(each) if len(each) else None
    steps = analysis.compression_steps(bench)
    final = steps[steps.stage == steps.stage.iloc[-1]]
    out["compression"] = {"table": table(steps), "final": [{"threads": int(r.threads), "speedup": r["speedup_total"]}
                                                          for _, r in final.iterrows()],
                          "smaller": final["smaller_total"].iloc[0],
                          "points": final["accuracy_change_points"].iloc[0]}
    alone = analysis.int8_alone(bench)
    out["int8_alone"] = table(alone) if len(alone) else None
    tta = analysis.flip_tta(bench)
    out["tta"] = None if not len(tta) else {
        "table": table(tta), "accuracy": tta.iloc[0]["accuracy_flip_tta"], "plain": tta.iloc[0].accuracy,
        "gain": tta.iloc[0]["gain_points"], "gain_se": tta.iloc[0]["gain_se_points"],
        "ratio": tta.iloc[0]["latency_ratio"], "threads": int(tta.iloc[0].threads)}
    return out


def study_facts(study: Study, *, lang: str, run_times: list[str], front: dict[str, Any],
                words: dict | None = None) -> dict[str, Any]:
    """The one facts file: ``front`` is the title block (``report.title``, ``authors``, ``course``);
    ``words`` the language's catalogue (the workflow's own when not given)."""
    from ..words import load_words

    words = words or load_words(lang)
    return plain({"language": lang, "front": front, "paper": paper_facts(study, lang, words),
                  "report": report_facts(study, run_times, words), "figures": sorted(study.figures)})


def plain(value: Any) -> Any:
    """JSON's own types all the way down (numpy scalars unwrapped, NaN as null: Typst reads no NaN)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def write_facts(facts: dict[str, Any], path: str | Path) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(facts, indent=1, ensure_ascii=False) + "\n")
