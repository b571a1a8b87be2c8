"""The facts of the paper and the slides: their scalars (``v``, formatted in the run's language), the
run's conditions (``flag``), their tables, and "what did compression add?" against each control."""
from __future__ import annotations

from typing import Any

from ..registry import FINAL, SEARCHED
from ..words import LANGUAGES
from . import analysis
from .numbers import change, few, ms, num, pct, point_cell, ratio, signed, yes_no
from .study import Study, versions, wiring_check


def paper_tables(study: Study, lang: str, words: dict) -> dict[str, list[list[str]]]:
    """The tables of the paper and slides as rows of cells; the templates name the columns."""
    bench = study.bench()
    steps = analysis.compression_steps(bench)
    one = steps[steps.threads == steps.threads.min()]
    macs = {r.stage: r.macs for r in bench[bench.model == "nas"].itertuples()}
    tables = {
        "stages": [[r.stage, pct(r.accuracy, lang), ms(r["p50_ms"], lang), num(r["speedup_total"], 3, lang) + "×",
                    num(r.size_mb, 3, lang), num(r["smaller_total"], 3, lang) + "×", num(macs[r.stage] / 1e6, 3, lang),
                    point_cell(r["accuracy_change_points"], lang)] for _, r in one.iterrows()],
        "deployed": [[r.model, r.stage, f"{pct(r.accuracy, lang)} (± {num(100 * r['std_error'], 2, lang)})",
                      ms(r["p50_ms"], lang), num(r.size_mb, 3, lang), yes_no(r["on_pareto_front"], words)]
                     for _, r in analysis.deployed_models(bench).iterrows()],
        "versions": [[v["package"], v["version"]] for v in versions()],
    }
    for stage in ("baseline_int8", "baseline"):
        v = analysis.nas_vs_controls(bench, stage)
        tables[f"same_{stage}"] = [
            [r.model, f"{pct(r.accuracy, lang)} (± {num(100 * r['std_error'], 2, lang)})", point_cell(r["vs_nas_points"], lang),
             "" if r["beyond_noise"] is None else yes_no(r["beyond_noise"], words), ms(r["p50_ms"], lang),
             num(r.size_mb, 3, lang)] for _, r in v.iterrows()]
    if study.result.space != "darts" and study.table is not None:
        table = study.table
        tables["layers"] = [
            [layer.kind, f"{layer.cin} → {layer.cout}", f"{layer.resolution}×{layer.resolution}", str(layer.kernel),
             str(layer.expansion) if layer.kind in ("mbconv", "fused") else "", str(layer.stride),
             num(1000 * table.layers[layer.key]["fp32"], 3, lang), num(1000 * table.layers[layer.key]["int8"], 3, lang)]
            for layer in study.result.genotype.layers(table.image_size, table.num_classes)]
    losses = study.int8_losses()
    tables["int8_losses"] = [[r.model, r["int8_stage"], r.target, r.isa, point_cell(r["change_points"], lang)]
                             for _, r in losses.iterrows()]
    return tables


def paper_facts(study: Study, lang: str, words: dict) -> dict[str, Any]:
    """The scalars (``v``: formatted strings), the conditions (``flag``) and the tables of the
    paper and the slides, in ``lang``."""
    if lang not in LANGUAGES:
        raise ValueError(f"report.language: {lang!r} is not one of {', '.join(LANGUAGES)}")
    h = study.headline()
    bench = study.bench()
    tables = paper_tables(study, lang, words)
    train_n, val_n = study.split_sizes
    settings, s, r = study.settings, study.result.search, study.result
    v: dict[str, Any] = {
        "cpu": str(bench.cpu.iloc[0]), "isa": str(bench.isa.iloc[0]), "threads": str(h["threads"]),
        "target": h["target"], "onnxruntime": str(bench.onnxruntime.iloc[0]),
        "bench_runs": str(settings["bench"]["runs"]), "bench_warmup": str(settings["bench"]["warmup"]),
        "bench_rounds": str(settings["bench"]["rounds"]),
        "dataset": study.stats["source"]["dataset"], "image_size": str(study.stats["image_size"]),
        "training_images": num(train_n, lang=lang), "validation_images": num(val_n, lang=lang), "test_images": num(study.test_images, lang=lang),
        "baseline_accuracy": pct(h["baseline_accuracy"], lang), "baseline_latency": ms(h["baseline_ms"], lang),
        "final_accuracy": pct(h["final_accuracy"], lang), "final_latency": ms(h["final_ms"], lang),
        "final_speedup": ratio(h["speedup"], lang), "final_smaller": ratio(h["smaller"], lang),
        "final_points": change(h["accuracy_change"], lang), "controls_count": str(h["controls"]),
        "dominated_by": h["dominated_by"] or "", "dominated_short": few(h["dominated_by"], lang),
        "search_seconds": num(s.get("seconds", 0), 4, lang),
    }
    flag: dict[str, Any] = {
        "on_front": h["on_front"], "final_faster": bool(h["speedup"] >= 1),
        "final_is_smaller": bool(h["smaller"] >= 1), "randoms": h.get("randoms", 0),
        "space": r.space, "strategy": r.strategy,
        "jpeg_data": any(k in (".jpg", ".jpeg") for k in study.stats["source"]["formats"]),
        "wiring_check": wiring_check(study) is not None, "latency_table": study.table is not None,
        "int8_alone": "int8_alone_speedup" in h, "flip_tta": "flip_tta_points" in h,
        "alternating_flip": settings["train"].get("flip") == "alternating",
        "preranked": s.get("prerank", "none") != "none",
        "distill": settings["finetune"]["distill_weight"] > 0,
    }
    flag["first_question"] = "best_control" in h  # a control of "did NAS find a better model?" was trained
    if "best_control" in h:
        v["best_control"] = h["best_control"]
        v["best_control_points"], flag["best_control_above"] = signed(h["best_control_points"], lang)
        flag["best_control_beyond"] = h["beyond_noise"]
        flag["best_control_paired"] = h["best_control_paired"]
    if h.get("randoms"):
        v["randoms"], v["best_random"] = str(h["randoms"]), h["best_random"]
        flag["random_by_val"] = h["random_picked_by"] == "validation"
        v["random_kept_points"], flag["random_above"] = signed(h["best_random_points"], lang)
        v["random_mean_points"], flag["random_mean_above"] = signed(h["random_mean_points"], lang)
        v["random_spread"] = num(100 * h["random_spread"], 2, lang)
        v["random_difference_se"] = change(100 * h["random_difference_se"], lang).lstrip("+")
        v["random_kept_difference"] = change(h["best_random_points"], lang)  # signed: the slides' boxes
        v["random_mean_difference"] = change(h["random_mean_points"], lang)
        v["min_randoms"] = str(analysis.MIN_RANDOMS)
        flag["beats_random"] = bool(h["beats_random"])
        flag["random_verdict"] = h["random_verdict"] is not None  # enough random nets to decide
    if flag["int8_alone"]:
        v["int8_alone_speedup"], v["int8_alone_smaller"] = ratio(h["int8_alone_speedup"], lang), ratio(h["int8_alone_smaller"], lang)
        flag["int8_alone_faster"], flag["int8_alone_is_smaller"] = h["int8_alone_speedup"] >= 1, h["int8_alone_smaller"] >= 1
    if flag["flip_tta"]:
        v["tta_gain_points"] = change(h["flip_tta_points"], lang)
        v["tta_latency_ratio"] = num(h["flip_tta_latency"], 3, lang) + "×"
    v.update(search_facts(study, lang), **compression_facts(study, lang, words))
    tables.update(decomposition_tables(study, lang, words))
    compression = compression_controls(study, lang)
    flag["compression_controls"] = bool(compression)
    if study.table is not None:
        c = study.table.checks
        v.update(latency_validation_nets=str(c["validation_nets"]), latency_calibration_nets=str(c["calibration_nets"]), latency_layers=str(len(study.table.layers)),
                 latency_rho_int8=num(c["int8"]["corrected"]["spearman"], 3, lang), latency_error_int8=f"{num(100 * c['int8']['corrected']['mape'], 2, lang)} %",
                 latency_rho_fp32=num(c["fp32"]["corrected"]["spearman"], 3, lang),
                 latency_error_fp32=f"{num(100 * c['fp32']['corrected']['mape'], 2, lang)} %")
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
                    "paired": c["paired"],
                    "accuracy": pct(c["accuracy"], lang), "ms": ms(c["ms"], lang),
                    "speed": ratio(c["speedup"], lang), "faster": bool(c["speedup"] >= 1),
                    "smaller": ratio(c["smaller"], lang), "is_smaller": bool(c["smaller"] >= 1)}
    if "nas_at_final" in out and study.final_budget:
        at = bench[(bench.model == "nas_at_final") & (bench.stage == "baseline_int8")]
        at = at[at.threads == at.threads.min()].iloc[0]
        budget, planned = study.final_budget["latency_ms"], study.final_budget.get("planned_ms")
        # against a plan, the final model as the benchmark timed it (the study's latency of it)
        final_ms = final_latency(bench) if planned else study.final_budget.get("measured_ms", budget)
        out["nas_at_final"].update(
            budget=ms(budget, lang), predicted=ms(study.search_at_final.search["predicted_ms"], lang),
            measured=ms(at.latency_ms_p50, lang), lands=num(at.latency_ms_p50 / budget, 3, lang) + "×",
            raised=bool(study.final_budget.get("raised")), final_measured=ms(final_ms, lang),
            planned=planned is not None, plan_ratio=num(final_ms / planned if planned else 1.0, 3, lang) + "×")
    return out


def final_latency(bench) -> float:
    """The final model's benchmarked p50 latency at the lowest thread count."""
    final = bench[(bench.model == SEARCHED) & (bench.stage == FINAL)]
    return float(final[final.threads == final.threads.min()].latency_ms_p50.iloc[0])


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
            "mean_difference": change(r["vs_mean_points"], lang), "se": change(100 * r["difference_se"], lang).lstrip("+"), "verdict": r["verdict"]}


def decomposition_tables(study: Study, lang: str, words: dict) -> dict[str, list[list[str]]]:
    """The paper's and slides' tables of "what did compression add?": the final model against each
    reference, and INT8 alone on each net."""
    bench = study.bench()
    rows = analysis.compression_decomposition(bench)
    each = analysis.int8_on_each(bench)
    return {
        "decomposition": [[r.model, r.stage, f"{pct(r.accuracy, lang)} (± {num(100 * r['std_error'], 2, lang)})",
                           ms(r["p50_ms"], lang), num(r.size_mb, 3, lang), point_cell(r["final_minus_points"], lang),
                           change(r["difference_se_points"], lang).lstrip("+"),
                           yes_no(r["beyond_noise"], words), ratio(r["final_speedup"], lang), ratio(r["final_smaller"], lang)]
                          for _, r in rows.iterrows()],
        "int8_each": [[r.model, f"{r['fp32_stage']} → {r['int8_stage']}", point_cell(r["change_points"], lang),
                       change(r["change_se_points"], lang).lstrip("+"), ratio(r["speedup"], lang),
                       ratio(r.smaller, lang)] for _, r in each.iterrows()],
    }


def search_facts(study: Study, lang: str) -> dict[str, str]:
    """What the method section says of the space and the strategy."""
    r, s = study.result, study.result.search
    if r.space == "darts":
        return {"budget": "–", "budget_share": "", "darts_nodes": str(r.space_settings["nodes_per_cell"]), "darts_ops": str(len(r.space_settings["ops"])),
                "search_images": num(s["images"], lang=lang), "search_epochs": str(s["epochs"])}
    from ..search.spaces import hardware_aware

    q = s.get("latency_quantile")
    size = hardware_aware(r.space).space_size()  # the dense space's 1,920 in full, the mobile space's 1.2e+17 not
    out = {"space_count": num(size, lang=lang) if size < 1e6 else f"{size:.1e}".replace(".", "," if lang == "vi" else "."),
           "budget": ms(s["latency_ms"], lang), "budget_share": "" if q is None else f"{num(100 * q, 3, lang)} %",
           "predicted_ms": ms(s["predicted_ms"], lang), "candidates": str(s["candidates"]),
           "val_images": num(s["val_images"], lang=lang)}
    if r.strategy == "spos":
        return dict(out, search_epochs=str(s["epochs"]), search_images=num(s["images"], lang=lang),
                    population=str(s["population"]), tournament_size=str(s["sample_size"]))
    raced = r.nets_per_round
    last = s["stability"][-1] if s["stability"] else None
    return dict(out, draws=str(s["draws"]), fill=num(100 * s["fill"], 3, lang) + " %", prerank=s["prerank"], eta=str(s["eta"]),
                first_round_images=num(s["rounds"][0], lang=lang), last_round_nets=str(raced[-1]),
                last_round_images=num(s["rounds"][-1], lang=lang), last_round_epochs=str(s["round_epochs"][-1]),
                max_images=num(s["max_images"], lang=lang), funnel=" → ".join(map(str, raced)),
                stability_rho="" if not last or last["spearman"] is None else num(last["spearman"], 2, lang),
                stability_nets="" if not last else str(last["candidates"]))


def compression_facts(study: Study, lang: str, words: dict) -> dict[str, str]:
    from ..data import translation_pixels

    p, fin, q, tr = study.prune, study.settings["finetune"], study.settings["quantize"], study.settings["train"]
    return {"train_epochs": str(tr["epochs"]), "train_batch": str(tr["batch_size"]), "train_schedule": tr["schedule"],
            "train_translate": str(translation_pixels(tr.get("translate"), study.stats["image_size"])),
            "train_lr": num(tr["learning_rate"], 3, lang),
            "train_precision": words["precision"].get(study.train_precision, study.train_precision),
            "prune_ratio": f"{num(100 * p['ratio'], 3, lang)} %", "importance": p["importance"].upper(),
            "round_to": str(p["round_to"]), "macs_before_pruning": num(p["before"]["macs"], lang=lang),
            "macs_after_pruning": num(p["after"]["macs"], lang=lang), "params_before_pruning": num(p["before"]["params"], lang=lang),
            "params_after_pruning": num(p["after"]["params"], lang=lang),
            "finetune_epochs": str(fin["epochs"]), "finetune_batch": str(fin["batch_size"]),
            "finetune_lr": num(fin["learning_rate"], 3, lang),
            "distill_share": f"{num(100 * fin['distill_weight'], 3, lang)} %",
            "distill_temperature": num(fin["temperature"], 3, lang),
            "int8_settings": f"{q['format'].upper()}, {'per-channel' if q['per_channel'] else 'per-tensor'}, "
                    f"{q['activation_type']}/{q['weight_type']}{', 7-bit' if q.get('reduce_range') else ''}, "
                    f"{q['calibration_method']}",
            "calibration_images": str(study.settings["data"]["calibration_size"])}
