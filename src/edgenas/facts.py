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
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from . import analysis
from .ondevice import cpu_name
from .study import Study

LANGUAGES = ("en", "vi")
# Lightning's precision strings as the paper says them
PRECISION_WORDS = {
    "en": {"32-true": "fp32", "bf16-mixed": "bf16 autocast over fp32 weights",
           "16-mixed": "fp16 autocast over fp32 weights"},
    "vi": {"32-true": "fp32", "bf16-mixed": "bf16 tự động (autocast) trên trọng số fp32",
           "16-mixed": "fp16 tự động (autocast) trên trọng số fp32"},
}
PACKAGES = ["torch", "torchvision", "nni", "pytorch-lightning", "torch-pruning", "onnx", "onnxruntime", "snakemake",
            "pandas", "seaborn"]


def num(value: Any, digits: int = 3, lang: str = "en") -> str:
    """A number for readers: significant digits, thousands grouped, Vietnamese decimal comma."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, int) or float(value).is_integer() and abs(value) >= 100:
        text = f"{int(round(float(value))):,}"
        return text.replace(",", ".") if lang == "vi" else text
    text = f"{float(value):.{digits}g}"
    return text.replace(".", ",") if lang == "vi" else text


def pct(value: float, lang: str = "en") -> str:
    """An accuracy, to two decimals (a test set of 10,000 resolves 0.01 %): 87.10 %, not 87.1 %."""
    text = f"{100 * value:.2f}"
    return (text.replace(".", ",") if lang == "vi" else text) + " %"


def ms(value: float, lang: str = "en") -> str:
    text = f"{value:.3f}"
    return (text.replace(".", ",") if lang == "vi" else text) + " ms"


def ratio(value: float, lang: str = "en") -> str:
    """A ratio read the way it goes: 2.1 -> '2.1', 0.8 -> '1.25' (the template says faster or slower)."""
    return num(value if value >= 1 else 1 / value, 3, lang) + "×"


def versions() -> list[dict[str, str]]:
    rows = [{"package": "python", "version": platform.python_version()}]
    for name in PACKAGES:
        try:
            rows.append({"package": name, "version": metadata.version(name)})
        except metadata.PackageNotFoundError:
            pass
    return rows


def wiring_check(study: Study) -> dict[str, Any] | None:
    """Why a run's numbers cannot carry a conclusion (tiny data, or the searched net within three
    standard errors of chance: the smoke preset's runs), or None."""
    bench, classes, train_images = study.bench(), len(study.stats["classes"]), study.split_sizes[0]
    nas = bench[(bench.model == "nas") & (bench.stage == "baseline") & bench["format"].str.startswith("onnx")].iloc[0]
    chance = 1 / classes
    near_chance = bool(nas.accuracy - chance <= 3 * analysis.standard_error(chance, int(nas.test_images)))
    if near_chance or nas.test_images < 1000 or train_images < 5000:
        return {"train_n": int(train_images), "test_n": int(nas.test_images), "near_chance": near_chance,
                "accuracy": float(nas.accuracy), "chance": chance}
    return None


# ---- the paper and the slides ----

def paper_tables(study: Study, lang: str) -> dict[str, list[list[str]]]:
    """The tables of the paper and slides as rows of cells; the templates name the columns."""
    bench = study.bench()
    steps = analysis.compression_steps(bench)
    one = steps[steps.threads == steps.threads.min()]
    macs = {r.stage: r.macs for r in bench[bench.model == "nas"].itertuples()}
    tables = {
        "stages": [[r.stage, pct(r.accuracy, lang), ms(r["p50 ms"], lang), num(r["speed-up (total)"], 3, lang) + "×",
                    num(r.size_mb, 3, lang), num(r["smaller (total)"], 3, lang) + "×", num(macs[r.stage] / 1e6, 3, lang),
                    point_cell(r["accuracy change (points)"], lang)] for _, r in one.iterrows()],
        "deployed": [[r.model, r.stage, f"{pct(r.accuracy, lang)} (± {num(100 * r['std error'], 2, lang)})",
                      ms(r["p50 ms"], lang), num(r.size_mb, 3, lang), yes_no(r["on Pareto front"], lang)]
                     for _, r in analysis.deployed_models(bench).iterrows()],
        "versions": [[v["package"], v["version"]] for v in versions()],
    }
    for stage in ("baseline_int8", "baseline"):
        v = analysis.nas_vs_controls(bench, stage)
        tables[f"same_{stage}"] = [
            [r.model, f"{pct(r.accuracy, lang)} (± {num(100 * r['std error'], 2, lang)})", point_cell(r["vs NAS (points)"], lang),
             "" if r["beyond noise"] is None else yes_no(r["beyond noise"], lang), ms(r["p50 ms"], lang),
             num(r.size_mb, 3, lang)] for _, r in v.iterrows()]
    if study.result.space != "darts" and study.table is not None:
        table = study.table
        tables["layers"] = [
            [layer.kind, f"{layer.cin} → {layer.cout}", f"{layer.resolution}×{layer.resolution}", str(layer.kernel),
             str(layer.expansion) if layer.kind in ("mbconv", "fused") else "", str(layer.stride),
             num(1000 * table.layers[layer.key]["fp32"], 3, lang), num(1000 * table.layers[layer.key]["int8"], 3, lang)]
            for layer in study.result.genotype.layers(table.image_size, table.num_classes)]
    losses = study.int8_losses()
    tables["int8_losses"] = [[r.model, r["INT8 stage"], r.target, r.isa, point_cell(r["change (points)"], lang)]
                             for _, r in losses.iterrows()]
    return tables


def yes_no(value: Any, lang: str) -> str:
    return {"en": ("yes", "no"), "vi": ("có", "không")}[lang][0 if bool(value) else 1]


def change(points: float, lang: str) -> str:
    """A change in points with its sign, to two decimals: a gain and a loss read apart (+0.29, -0.66)."""
    text = f"{points:+.2f}"
    return text.replace(".", ",") if lang == "vi" else text


def point_cell(value: float | None, lang: str) -> str:
    """A table's difference in points: signed, to two decimals like the HTML report's (– for none)."""
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else change(value, lang)


def signed(points: float, lang: str) -> tuple[str, bool]:
    """A difference in points as its size, to two decimals like ``change`` (a mean of seeds gave
    '0.564' beside '0.32'), and its direction (True: above)."""
    return change(abs(points), lang).lstrip("+"), bool(points >= 0)


def paper_facts(study: Study, lang: str) -> dict[str, Any]:
    """The scalars (``v``: formatted strings), the conditions (``flag``) and the tables of the
    paper and the slides, in ``lang``."""
    if lang not in LANGUAGES:
        raise ValueError(f"report.language: {lang!r} is not one of {', '.join(LANGUAGES)}")
    h = study.headline()
    bench = study.bench()
    tables = paper_tables(study, lang)
    train_n, val_n = study.split_sizes
    settings, s, r = study.settings, study.result.search, study.result
    v: dict[str, Any] = {
        "cpu": str(bench.cpu.iloc[0]), "isa": str(bench.isa.iloc[0]), "threads": str(h["threads"]),
        "target": h["target"], "ort": str(bench.onnxruntime.iloc[0]),
        "runs": str(settings["bench"]["runs"]), "warmup": str(settings["bench"]["warmup"]),
        "rounds": str(settings["bench"]["rounds"]),
        "dataset": study.stats["source"]["dataset"], "size": str(study.stats["image_size"]),
        "train_n": num(train_n, lang=lang), "val_n": num(val_n, lang=lang), "test_n": num(study.test_images, lang=lang),
        "base_acc": pct(h["baseline_accuracy"], lang), "base_ms": ms(h["baseline_ms"], lang),
        "final_acc": pct(h["final_accuracy"], lang), "final_ms": ms(h["final_ms"], lang),
        "speed": ratio(h["speedup"], lang), "smaller": ratio(h["smaller"], lang),
        "points": change(h["accuracy_change"], lang), "controls": str(h["controls"]),
        "dominated_by": h["dominated_by"] or "", "search_seconds": num(s.get("seconds", 0), 4, lang),
    }
    flag: dict[str, Any] = {
        "on_front": h["on_front"], "faster": bool(h["speedup"] >= 1), "is_smaller": bool(h["smaller"] >= 1),
        "controls": h["controls"] > 0, "randoms": h.get("randoms", 0), "space": r.space, "strategy": r.strategy,
        "lossy": any(k in (".jpg", ".jpeg") for k in study.stats["source"]["formats"]),
        "wiring": wiring_check(study) is not None, "latency": study.table is not None,
        "int8_alone": "int8_alone_speedup" in h, "tta": "flip_tta_points" in h,
        "alternating_flip": settings["train"].get("flip") == "alternating",
        "preranked": s.get("prerank", "none") != "none",
        "distill": settings["finetune"]["distill_weight"] > 0,
    }
    if "best_control" in h:
        v["best"] = h["best_control"]
        v["best_points"], flag["best_above"] = signed(h["best_control_points"], lang)
        flag["best_beyond"] = h["beyond_noise"]
    if h.get("randoms"):
        v["randoms"], v["best_random"] = str(h["randoms"]), h["best_random"]
        flag["random_by_val"] = h["random_picked_by"] == "validation"
        v["random_points"], flag["random_above"] = signed(h["best_random_points"], lang)
        flag["random_beyond"] = h["random_beyond_noise"]
        v["random_mean_points"], flag["mean_above"] = signed(h["random_mean_points"], lang)
        v["random_spread"] = num(100 * h["random_spread"], 2, lang)
        v["random_difference_se"] = change(100 * h["random_difference_se"], lang).lstrip("+")
        v["random_difference"] = change(h["best_random_points"], lang)  # signed: the slides' boxes
        v["random_mean_difference"] = change(h["random_mean_points"], lang)
        v["min_randoms"] = str(analysis.MIN_RANDOMS)
        flag["beats_random"] = bool(h["beats_random"])
        flag["random_verdict"] = h["random_verdict"] is not None  # enough random nets to decide
    if flag["int8_alone"]:
        v["alone_speed"], v["alone_smaller"] = ratio(h["int8_alone_speedup"], lang), ratio(h["int8_alone_smaller"], lang)
        flag["alone_faster"], flag["alone_is_smaller"] = h["int8_alone_speedup"] >= 1, h["int8_alone_smaller"] >= 1
    if flag["tta"]:
        v["tta_points"] = change(h["flip_tta_points"], lang)
        v["tta_latency"] = num(h["flip_tta_latency"], 3, lang) + "×"
    v.update(search_facts(study, lang), **compression_facts(study, lang))
    tables.update(decomposition_tables(study, lang))
    compression = compression_controls(study, lang)
    flag["compression_controls"] = bool(compression)
    if study.table is not None:
        c = study.table.checks
        v.update(lat_n=str(c["validation_nets"]), lat_cal=str(c["calibration_nets"]), lat_layers=str(len(study.table.layers)),
                 rho=num(c["int8"]["corrected"]["spearman"], 3, lang), mape=f"{num(100 * c['int8']['corrected']['mape'], 2, lang)} %",
                 rho32=num(c["fp32"]["corrected"]["spearman"], 3, lang),
                 mape32=f"{num(100 * c['fp32']['corrected']['mape'], 2, lang)} %")
    return {"v": v, "flag": flag, "tables": tables, "compression": compression,
            "random_at_final": random_at_final(study, lang)}


def compression_controls(study: Study, lang: str) -> dict[str, dict[str, Any]]:
    """"What did compression add?" against each control the run trained, by reference (``nas_fp32``,
    ``nas_int8``, ``nas_at_final``, ``pruned_scratch``): the final model's difference in points and its
    standard error, what it says (``gain``, ``loss`` or ``noise`` by the 2-SE rule), and the final
    model's speed-up and size ratio over it; with the second budget, how close the net searched at the
    final model's latency landed."""
    bench = study.bench()
    out: dict[str, dict[str, Any]] = {}
    for key, c in analysis.compression_verdicts(analysis.compression_decomposition(bench)).items():
        out[key] = {"points": change(c["points"], lang), "se": change(c["se"], lang).lstrip("+"), "says": c["says"],
                    "accuracy": pct(c["accuracy"], lang), "ms": ms(c["ms"], lang), "size": num(c["size_mb"], 3, lang),
                    "speed": ratio(c["speedup"], lang), "faster": bool(c["speedup"] >= 1),
                    "smaller": ratio(c["smaller"], lang), "is_smaller": bool(c["smaller"] >= 1)}
    if "nas_at_final" in out and study.final_budget:
        at = bench[(bench.model == "nas_at_final") & (bench.stage == "baseline_int8")]
        at = at[at.threads == at.threads.min()].iloc[0]
        budget = study.final_budget["latency_ms"]
        out["nas_at_final"].update(
            budget=ms(budget, lang), predicted=ms(study.search_at_final.search["predicted_ms"], lang),
            measured=ms(at.latency_ms_p50, lang), lands=num(at.latency_ms_p50 / budget, 3, lang) + "×",
            raised=bool(study.final_budget.get("raised")), final_measured=ms(study.final_budget.get("measured_ms", budget), lang))
    return out


def random_at_final(study: Study, lang: str) -> dict[str, Any] | None:
    """Did the search beat random at the final model's latency? The searched net there against the
    random nets drawn under it, by the main budget's rule; None where the run has none."""
    r = analysis.nas_vs_random(study.bench(), "baseline_int8", study.val_accuracy, searched="nas_at_final")
    if r is None:
        return None
    best, above = signed(r["vs_best_points"], lang)
    mean, mean_above = signed(r["vs_mean_points"], lang)
    return {"randoms": r["randoms"], "best": r["best"], "best_points": best, "above": above, "mean_points": mean,
            "mean_above": mean_above, "difference": change(r["vs_best_points"], lang),
            "mean_difference": change(r["vs_mean_points"], lang), "se": change(100 * r["difference_se"], lang).lstrip("+"),
            "spread": num(100 * r["spread"], 2, lang), "verdict": r["verdict"]}


def decomposition_tables(study: Study, lang: str) -> dict[str, list[list[str]]]:
    """The paper's and slides' tables of "what did compression add?": the final model against each
    reference, and INT8 alone on each net."""
    bench = study.bench()
    rows = analysis.compression_decomposition(bench)
    each = analysis.int8_on_each(bench)
    return {
        "decomposition": [[r.model, r.stage, f"{pct(r.accuracy, lang)} (± {num(100 * r['std error'], 2, lang)})",
                           ms(r["p50 ms"], lang), num(r.size_mb, 3, lang), point_cell(r["final minus it (points)"], lang),
                           change(r["std error of the difference (points)"], lang).lstrip("+"),
                           yes_no(r["beyond noise"], lang), ratio(r["final speed-up"], lang), ratio(r["final smaller"], lang)]
                          for _, r in rows.iterrows()],
        "int8_each": [[r.model, f"{r['FP32 stage']} → {r['INT8 stage']}", point_cell(r["change (points)"], lang),
                       change(r["std error of the change (points)"], lang).lstrip("+"), ratio(r["speed-up"], lang),
                       ratio(r.smaller, lang)] for _, r in each.iterrows()],
    }


def search_facts(study: Study, lang: str) -> dict[str, str]:
    """What the method section says of the space and the strategy."""
    r, s = study.result, study.result.search
    if r.space == "darts":
        return {"budget": "–", "budget_share": "", "darts_nodes": str(r.space_settings["nodes_per_cell"]), "darts_ops": str(len(r.space_settings["ops"])),
                "search_images": num(s["images"], lang=lang), "search_epochs": str(s["epochs"])}
    from .spaces import hardware_aware

    q = s.get("latency_quantile")
    size = hardware_aware(r.space).space_size()  # the dense space's 1,920 in full, the mobile space's 1.2e+17 not
    out = {"space_count": num(size, lang=lang) if size < 1e6 else f"{size:.1e}".replace(".", "," if lang == "vi" else "."),
           "budget": ms(s["latency_ms"], lang), "budget_share": "" if q is None else f"{num(100 * q, 3, lang)} %",
           "predicted_ms": ms(s["predicted_ms"], lang), "candidates": str(s["candidates"]),
           "val_images": num(s["val_images"], lang=lang)}
    if r.strategy == "spos":
        return dict(out, search_epochs=str(s["epochs"]), search_images=num(s["images"], lang=lang),
                    population=str(s["population"]), sample=str(s["sample_size"]))
    raced = r.nets_per_round
    last = s["stability"][-1] if s["stability"] else None
    return dict(out, draws=str(s["draws"]), fill=num(100 * s["fill"], 3, lang) + " %", prerank=s["prerank"], eta=str(s["eta"]),
                first_images=num(s["rounds"][0], lang=lang), last_n=str(raced[-1]),
                last_images=num(s["rounds"][-1], lang=lang), last_epochs=str(s["round_epochs"][-1]),
                max_images=num(s["max_images"], lang=lang), funnel=" → ".join(map(str, raced)),
                stability_rho="" if not last or last["spearman"] is None else num(last["spearman"], 2, lang),
                stability_n="" if not last else str(last["candidates"]))


def compression_facts(study: Study, lang: str) -> dict[str, str]:
    from .data import translation_pixels

    p, fin, q, tr = study.prune, study.settings["finetune"], study.settings["quantize"], study.settings["train"]
    return {"train_epochs": str(tr["epochs"]), "train_batch": str(tr["batch_size"]), "train_schedule": tr["schedule"],
            "train_translate": str(translation_pixels(tr.get("translate"), study.stats["image_size"])),
            "train_lr": num(tr["learning_rate"], 3, lang),
            "train_precision": PRECISION_WORDS[lang].get(study.train_precision, study.train_precision),
            "prune_ratio": f"{num(100 * p['ratio'], 3, lang)} %", "importance": p["importance"].upper(),
            "round_to": str(p["round_to"]), "macs0": num(p["before"]["macs"], lang=lang),
            "macs1": num(p["after"]["macs"], lang=lang), "params0": num(p["before"]["params"], lang=lang),
            "params1": num(p["after"]["params"], lang=lang),
            "finetune_epochs": str(fin["epochs"]), "finetune_batch": str(fin["batch_size"]),
            "finetune_lr": num(fin["learning_rate"], 3, lang),
            "distill_share": f"{num(100 * fin['distill_weight'], 3, lang)} %",
            "distill_t": num(fin["temperature"], 3, lang),
            "int8": f"{q['format'].upper()}, {'per-channel' if q['per_channel'] else 'per-tensor'}, "
                    f"{q['activation_type']}/{q['weight_type']}{', 7-bit' if q.get('reduce_range') else ''}, "
                    f"{q['calibration_method']}",
            "calib": str(study.settings["data"]["calibration_size"])}


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
        from .spaces.darts import reduction_cells

        out["reductions"] = reduction_cells(result.space_settings["num_cells"])
        out["cells"] = table(pd.DataFrame(
            [{"cell": cell, "node": n, **{f"edge {j + 1}": f"{e.op} <- {e.source_name}" for j, e in enumerate(edges)}}
             for cell, nodes in result.genotype.cells.items() for n, edges in enumerate(nodes)]), readers=False)
    else:
        from .spaces import hardware_aware

        size = hardware_aware(result.space).space_size()
        out["space_size"] = f"{size:,}" if size < 1e6 else f"{size:.2e}"
        out["raced"] = result.nets_per_round
        out["latency_table"] = {"target": study.table.target, "layers": len(study.table.layers),
                                "checks": study.table.checks}
        out["blocks"] = table(pd.DataFrame(
            [{"layer": layer.kind, "in -> out channels": f"{layer.cin} -> {layer.cout}",
              "input": f"{layer.resolution}x{layer.resolution}", "kernel": layer.kernel,
              "expansion": layer.expansion if layer.kind in ("mbconv", "fused") else None, "stride": layer.stride,
              "residual": layer.residual, "FP32 us (alone)": 1000 * study.table.layers[layer.key]["fp32"],
              "INT8 us (alone)": 1000 * study.table.layers[layer.key]["int8"]}
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
    out["int8_losses"] = table(losses.drop(columns=["beyond noise"])) if len(losses) else None
    out["final_budget"] = study.final_budget  # the second budget, where the run has it, and its search's record
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
        "deployed": table(deployed), "nas": {"accuracy": nas.accuracy, "ms": nas["p50 ms"], "size_mb": nas.size_mb,
                                             "on_front": bool(nas["on Pareto front"]), "dominated_by": nas["dominated by"]},
        "versus": [],
    }
    for stage in ("baseline_int8", "baseline"):
        versus = analysis.nas_vs_controls(bench, stage)
        if (versus.model != "nas").any():
            others = versus[versus.model != "nas"]
            best = others.loc[others.accuracy.idxmax()]
            nas_row = versus[versus.model == "nas"].iloc[0]
            out["versus"].append({
                "stage": stage, "table": table(versus), "nas": nas_row.accuracy, "nas_se": nas_row["std error"],
                "best": best.model, "best_accuracy": best.accuracy, "best_points": -best["vs NAS (points)"],
                "best_beyond": bool(best["beyond noise"]),
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
    out["compression"] = {"table": table(steps), "final": [{"threads": int(r.threads), "speedup": r["speed-up (total)"]}
                                                          for _, r in final.iterrows()],
                          "smaller": final["smaller (total)"].iloc[0],
                          "points": final["accuracy change (points)"].iloc[0]}
    alone = analysis.int8_alone(bench)
    out["int8_alone"] = table(alone) if len(alone) else None
    tta = analysis.flip_tta(bench)
    out["tta"] = None if not len(tta) else {
        "table": table(tta), "accuracy": tta.iloc[0]["accuracy with flip TTA"], "plain": tta.iloc[0].accuracy,
        "gain": tta.iloc[0]["gain (points)"], "gain_se": tta.iloc[0]["std error of the gain (points)"],
        "ratio": tta.iloc[0]["latency ratio"], "threads": int(tta.iloc[0].threads)}
    return out


def study_facts(study: Study, *, lang: str, run_times: list[str], front: dict[str, Any],
                words: dict | None = None) -> dict[str, Any]:
    """The one facts file: ``front`` is the title block (``report.title``, ``authors``, ``course``);
    ``words`` the language's catalogue (the workflow's own when not given)."""
    from .words import load_words

    words = words or load_words(lang)
    return plain({"language": lang, "front": front, "paper": paper_facts(study, lang),
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
