"""The latency model of a target, measured on the target: what hardware-aware search optimises.

Every layer configuration a hardware-aware space can contain (``space_layers`` of ``spaces.mobile``
or ``spaces.dense``) is
exported alone and quantized with the INT8 settings the workflow deploys, then timed on the
target in FP32 and INT8 (batch 1, ONNX Runtime, the budget's thread count). A net's latency is
predicted as the sum of its layers' latencies, corrected by a least-squares fit on whole nets
timed on the same target (a standalone layer pays for a model call and for quantizing its
input and output, which a net pays once). The prediction is then checked against other
whole nets: rank correlation and mean absolute percentage error go into the table.
"""
from __future__ import annotations

import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..errors import ConfigError
from ..records import DamagedFile, read_json, rebuild_hint, write_json
from .spaces import hardware_aware

FORMATS = ("fp32", "int8")
# Timing function: ONNX files -> ({file name: p50 latency in ms}, the target's system info), on the target
TimeModels = Callable[[list[str]], tuple[dict[str, float], dict[str, str]]]


@dataclass
class LatencyTable:
    target: str
    threads: int
    image_size: int
    num_classes: int
    layers: dict[str, dict[str, float]]  # layer key -> {"fp32": ms, "int8": ms}
    correction: dict[str, list[float]]   # format -> [scale, per layer, constant]: measured ~ scale*sum + b*layers + c
    checks: dict[str, Any] = field(default_factory=dict)  # calibration and validation nets, errors
    system: dict[str, str] = field(default_factory=dict)
    space: str = "mobile"  # the hardware-aware space whose layers it times (tables before the dense space: mobile)

    def layer_sum(self, arch: dict[str, Any], fmt: str = "int8") -> tuple[float, int]:
        layers = hardware_aware(self.space).Architecture.from_arch(arch).layers(self.image_size, self.num_classes)
        return sum(self.layers[layer.key][fmt] for layer in layers), len(layers)

    def predict(self, arch: dict[str, Any], fmt: str = "int8") -> float:
        """Predicted batch-1 latency (ms) of a net of the space on this target."""
        total, count = self.layer_sum(arch, fmt)
        scale, per_layer, constant = self.correction[fmt]
        return scale * total + per_layer * count + constant

    def write(self, path: str | Path) -> None:
        write_json(asdict(self), path)


def read_latency_table(path: str | Path, space: str | None = None) -> LatencyTable:
    """A target's table, refused (naming the file and its rebuild) when it is not one, when it
    times another ``space`` than the one searched, or when it was timed for an older version of
    the space and lacks some of its layers (a changed library does not make Snakemake rerun the rule)."""
    record = read_json(path)
    try:
        table = LatencyTable(**record)
    except TypeError as err:
        raise DamagedFile(f"{path}: not a latency table ({err}); {rebuild_hint(path)}") from err
    if space is not None and table.space != space:
        raise DamagedFile(f"{path} times the {table.space} space, not the {space} space searched (search.space); "
                          f"{rebuild_hint(path)}")
    layers = hardware_aware(table.space).space_layers(table.image_size, table.num_classes)
    missing = {layer.key for layer in layers} - set(table.layers)
    if missing:
        raise DamagedFile(f"{path} was timed for an older version of the search space: {len(missing)} of the space's "
                          f"layer configurations are not in it (e.g. {min(missing)}); {rebuild_hint(path)}")
    return table


def sample_archs(count: int, seed: int, accept: Callable[[dict], bool] | None = None,
                 max_tries: int = 100_000, space: str = "mobile", distinct: bool = False,
                 at_least: int | None = None) -> list[dict[str, Any]]:
    """``count`` architectures drawn uniformly from a hardware-aware ``space`` (NNI's sampler,
    seeded), keeping only those ``accept`` allows (a latency budget). ``distinct``: no net twice
    (the dense space's 1,920 nets put a few hundred in a budget's band, where 100 draws repeat some).
    ``at_least``: fewer will do, where the tries find only that many (a narrow band at a small budget)."""
    module = hardware_aware(space)
    mutables = module.space().simplify()
    rng = np.random.RandomState(seed)
    out: list[dict[str, Any]] = []
    seen: set = set()
    for _ in range(max_tries):
        sample: dict[str, Any] = {}
        for label, mutable in mutables.items():
            sample[label] = mutable.random(memo=sample, random_state=rng)
        arch = {str(k): v if isinstance(v, str) else int(v) for k, v in sample.items()}
        if distinct:
            net = module.Architecture.from_arch(arch)  # labels of blocks past a stage's depth do not count
            if net in seen:
                continue
            seen.add(net)
        if accept is None or accept(arch):
            out.append(arch)
            if len(out) == count:
                return out
    if at_least is not None and len(out) >= at_least:
        return out
    raise ValueError(f"only {len(out)} of {count} sampled architectures were accepted in {max_tries} draws; "
                     "the latency budget is below what the space can reach"
                     + (", or its band holds fewer distinct nets than that" if distinct else ""))


BUDGET_DRAWS = 2000  # nets of the space drawn (seed 0) to place a budget within its latency spread


def latency_budget(table: LatencyTable, latency_ms: float | None, quantile: float | None) -> float:
    """The search's INT8 budget (ms) on ``table``'s target: ``latency_ms`` if set, else the
    ``quantile`` of the space's predicted latency there. A quantile means the same thing on a
    fast laptop, a slow one and a Pi (the fastest tenth of the space, say), so the default run
    works wherever it runs; a fixed budget below what the space reaches stops here, with the
    spread that would fit, before hours of search."""
    spread = np.array([table.predict(a) for a in sample_archs(BUDGET_DRAWS, seed=0, space=table.space)])
    if latency_ms is None:
        if quantile is None or not 0 < quantile <= 1:
            raise ConfigError(f"search.hardware_aware.latency_quantile: {quantile!r} must be in (0, 1] "
                              "when search.hardware_aware.latency_ms is not set")
        return float(np.quantile(spread, quantile))
    if latency_ms < spread.min():
        q = np.quantile(spread, [0.05, 0.1, 0.5])
        raise ConfigError(f"search.hardware_aware.latency_ms: {latency_ms} ms is below what the space reaches on "
                          f"{table.target} (the fastest of {BUDGET_DRAWS} sampled nets: {spread.min():.3f} ms INT8; "
                          f"5 / 10 / 50 % of the space lie under {q[0]:.3f} / {q[1]:.3f} / {q[2]:.3f} ms). "
                          "Raise it, or leave it unset and set search.hardware_aware.latency_quantile")
    return float(latency_ms)


@dataclass(frozen=True)
class Budget:
    """The search's INT8 latency budget on its target, resolved once (rule ``budget``,
    ``results/search/budget.json``) and read by the search, every random control and, through the
    search's record, the report: one number, drawn once."""

    target: str
    threads: int
    latency_ms: float
    quantile: float | None  # None: a fixed search.hardware_aware.latency_ms

    def write(self, path: str | Path) -> None:
        write_json(asdict(self), path)

    def check(self, predicted_ms: float, name: str) -> float:
        """A net's predicted INT8 latency on the target, refused, naming the net, over the budget."""
        if predicted_ms > self.latency_ms:
            raise ConfigError(f"{name}: predicted {predicted_ms:.3f} ms INT8 on {self.target}, over the budget of "
                              f"{self.latency_ms:.3f} ms")
        return predicted_ms

    def admit(self, table: LatencyTable, arch: dict[str, Any], name: str) -> float:
        """``check`` of a net of the table's space."""
        return self.check(table.predict(arch), name)


def resolve_budget(table: LatencyTable, latency_ms: float | None, quantile: float | None) -> Budget:
    """``latency_budget`` on ``table``, with where and how it was set."""
    return Budget(target=table.target, threads=table.threads, latency_ms=latency_budget(table, latency_ms, quantile),
                  quantile=None if latency_ms is not None else quantile)


FINAL_FLOOR = 0.02  # the second budget is never below the latency of the space's fastest 2 %: some nets fit it


def space_floor(table: LatencyTable) -> float:
    """The predicted INT8 latency under which the fastest ``FINAL_FLOOR`` of the table's space lie."""
    spread = np.array([table.predict(a) for a in sample_archs(BUDGET_DRAWS, seed=0, space=table.space)])
    return float(np.quantile(spread, FINAL_FLOOR))


def quietest(path: str, time_models: TimeModels, rounds: int) -> float:
    """An ONNX file's p50 latency on the timer's target, the quietest of ``rounds`` passes."""
    return min(time_models([path])[0][Path(path).name] for _ in range(rounds))


def _at_latency(table: LatencyTable, latency_ms: float) -> dict[str, Any]:
    """A budget at ``latency_ms`` on ``table``'s space, raised to the space's floor where that is
    above it (a search needs nets that fit), and saying so (``raised``)."""
    floor = space_floor(table)
    return {**asdict(Budget(target=table.target, threads=table.threads, latency_ms=max(latency_ms, floor),
                            quantile=None)),
            "space": table.space, "space_floor_ms": floor, "raised": bool(latency_ms < floor)}


def planned_budget(arch: dict[str, Any], table: LatencyTable, time_models: TimeModels, *, quantize: dict[str, Any],
                   rounds: int, seed: int) -> dict[str, Any]:
    """The second budget before any training: the pruned net's shape (``arch``, a net of the table's
    pruned-shape space, ``spaces.pruned``), untrained, exported and quantized as the table's whole nets
    are, timed whole on the table's target (the quietest of ``rounds`` passes). Its latency is the
    final model's to within the timing's noise, since INT8 latency depends on the shape, not the
    weights; the record keeps the table's prediction beside it. A ``Budget`` (``read_budget``)."""
    import torch

    net = hardware_aware(table.space).build_net(arch, num_classes=table.num_classes)
    with tempfile.TemporaryDirectory() as tmp:
        torch.manual_seed(seed)
        _, int8 = export_pair(net, (3, table.image_size, table.image_size), Path(tmp), "planned", quantize,
                              np.random.default_rng(seed))
        planned = quietest(int8, time_models, rounds)
    return {**_at_latency(table, planned), "arch": arch, "planned_ms": planned, "predicted_ms": table.predict(arch)}


def measured_budget(model: str, time_models: TimeModels, table: LatencyTable, *, rounds: int,
                    planned: dict[str, Any] | None = None) -> dict[str, Any]:
    """The final INT8 model (``model``) timed whole on the table's target as its calibration nets are,
    the quietest of ``rounds`` passes. With the ``planned`` budget (``planned_budget``) the record is
    that budget with the measured latency beside it (how close the plan landed). Without one (the
    pruned shape depends on the weights: ``prune.global_pruning``, ``prune.keep_layers``, or the mobile
    space), the budget is the measured latency itself, raised to the space's fastest ``FINAL_FLOOR``
    where the model is faster (``raised``): the controls are then slower than the model they are
    held against, and the record says so."""
    measured = quietest(model, time_models, rounds)
    record = dict(planned) if planned else {**_at_latency(table, measured), "planned_ms": None}
    return {**record, "measured_ms": measured,
            "measured_over_planned": measured / planned["planned_ms"] if planned else None}


def read_budget(path: str | Path) -> Budget:
    """A budget record (``budget.json``, ``final_budget.json``, which says more beside it)."""
    record = read_json(path)
    return Budget(**{f: record[f] for f in ("target", "threads", "latency_ms", "quantile")})


def export_pair(module, shape: tuple[int, ...], folder: Path, name: str, quantize: dict[str, Any],
                rng: np.random.Generator) -> tuple[str, str]:
    """``module`` as FP32 ONNX and as INT8 (the deployed graph settings, calibrated on random
    inputs: latency depends neither on the values nor on the calibration method)."""
    import torch

    from ..export import export_onnx
    from ..quantize import quantize_int8
    from ..settings import Quantize

    fp32, int8 = folder / f"{name}.onnx", folder / f"{name}_int8.onnx"
    inputs = rng.standard_normal((16, *shape)).astype(np.float32)
    with torch.no_grad():
        export_onnx(module.eval(), fp32, inputs[:2], atol=1e-2)
    quantize_int8(fp32, int8, inputs, Quantize(**{**quantize, "calibration_method": "minmax"}))
    return str(fp32), str(int8)


def least_squares_correction(sums: np.ndarray, counts: np.ndarray, measured: np.ndarray, floor: float) -> list[float]:
    """Least squares of measured ~ scale * sum + per_layer * count + constant over whole nets (a layer
    timed alone pays a model call, and quantizes its input and output, which a net pays once: so
    per_layer comes out near minus that cost and constant near one call's). Constrained so that no net
    is predicted below zero, whatever few nets it is fitted on: constant >= 0, and every layer's
    corrected time scale * t + per_layer >= 0 for t >= ``floor`` (the fastest layer's time alone). The
    unconstrained fit where it already meets them, else non-negative least squares on those terms."""
    from scipy.optimize import nnls

    scale, per_layer, constant = np.linalg.lstsq(np.stack([sums, counts, np.ones_like(sums)], 1), measured, rcond=None)[0]
    if scale >= 0 and constant >= 0 and per_layer + scale * floor >= 0:
        return [float(scale), float(per_layer), float(constant)]
    (scale, slack, constant), _ = nnls(np.stack([sums - counts * floor, counts, np.ones_like(sums)], 1), measured)
    return [float(scale), float(slack - scale * floor), float(constant)]


def errors(predicted: np.ndarray, measured: np.ndarray) -> dict[str, float]:
    """Rank correlation and mean absolute percentage error. A prediction that is the same for every
    net (a correction fitted on a few noisy nets can come out as one constant) ranks none of them:
    its rank correlation is 0, not scipy's undefined NaN, which JSON cannot hold."""
    from scipy.stats import spearmanr

    ranks = 0.0 if np.ptp(predicted) == 0 or np.ptp(measured) == 0 else float(spearmanr(predicted, measured)[0])
    return {"spearman": ranks,
            "mape": float(np.mean(np.abs(predicted - measured) / measured))}


def build_table(target: str, time_models: TimeModels, *, threads: int, image_size: int, num_classes: int,
                quantize: dict[str, Any], calibration_nets: int, validation_nets: int, seed: int,
                rounds: int = 1, space: str = "mobile") -> LatencyTable:
    """Measure every layer configuration of the hardware-aware ``space`` and the calibration and validation nets on the target
    (``time_models``), fit the correction, and check it. Every file is timed in ``rounds`` passes
    over all of them and keeps its quietest pass: on a shared or throttled machine whole passes
    slow down together (seen here: one pass in five 35-48 % slower for every net), which a single
    pass would write into the table."""
    import torch
    from tqdm import tqdm

    rng = np.random.default_rng(seed)
    module = hardware_aware(space)
    layers = module.space_layers(image_size, num_classes)
    archs = sample_archs(calibration_nets + validation_nets, seed, space=space)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files: dict[str, tuple[str, str]] = {}
        torch.manual_seed(seed)
        for i, layer in enumerate(tqdm(layers, desc="exporting layers", mininterval=5, disable=None)):
            files[layer.key] = export_pair(layer.module(), (layer.cin, layer.resolution, layer.resolution), folder,
                                           f"layer{i}", quantize, rng)
        for i, arch in enumerate(tqdm(archs, desc="exporting nets", mininterval=5, disable=None)):
            files[f"net{i}"] = export_pair(module.build_net(arch, num_classes=num_classes),
                                           (3, image_size, image_size), folder, f"net{i}", quantize, rng)
        paths = [path for pair in files.values() for path in pair]
        passes = [time_models(paths) for _ in tqdm(range(rounds), desc="timing passes", disable=None)]
        timed, system = {name: min(p[0][name] for p in passes) for name in passes[0][0]}, passes[0][1]
    ms = {key: {fmt: timed[Path(path).name] for fmt, path in zip(FORMATS, pair)} for key, pair in files.items()}
    table = LatencyTable(target, threads, image_size, num_classes,
                         layers={layer.key: ms[layer.key] for layer in layers},
                         correction={fmt: [1.0, 0.0, 0.0] for fmt in FORMATS}, system=system, space=space)
    calibrate(table, archs, {fmt: np.array([ms[f"net{i}"][fmt] for i in range(len(archs))]) for fmt in FORMATS},
              calibration_nets)
    return table


def calibrate(table: LatencyTable, archs: list[dict[str, Any]], measured: dict[str, np.ndarray],
              calibration_nets: int) -> None:
    """Fit ``table``'s correction on the first ``calibration_nets`` of ``archs`` (whole nets timed on the
    target: ``measured``, ms per format) and check it on the others: the rank correlation and mean
    absolute percentage error of the prediction, and each net's layer sum, prediction and measurement,
    go into ``table.checks``."""
    checks: dict[str, Any] = {"calibration_nets": calibration_nets, "validation_nets": len(archs) - calibration_nets,
                              "nets": [{"arch": arch, "use": "calibration" if i < calibration_nets else "validation"}
                                       for i, arch in enumerate(archs)]}
    for fmt in FORMATS:
        sums, counts = np.array([table.layer_sum(a, fmt) for a in archs]).T
        cal, val = slice(0, calibration_nets), slice(calibration_nets, None)
        floor = min(layer[fmt] for layer in table.layers.values())
        table.correction[fmt] = least_squares_correction(sums[cal], counts[cal], measured[fmt][cal], floor)
        scale, per_layer, constant = table.correction[fmt]
        predicted = scale * sums + per_layer * counts + constant
        checks[fmt] = {"raw": errors(sums[val], measured[fmt][val]),
                       "corrected": errors(predicted[val], measured[fmt][val])}
        for i, net in enumerate(checks["nets"]):
            net[fmt] = {"layer_sum": float(sums[i]), "predicted": float(predicted[i]), "measured": float(measured[fmt][i])}
    table.checks = checks


def local_timer(threads: int, warmup: int, runs: int) -> TimeModels:
    """Time ONNX files on this machine, each on its own random input."""
    from ..device import ondevice

    def time_models(paths: list[str]) -> tuple[dict[str, float], dict[str, str]]:
        return ({Path(p).name: ondevice.timing(p, None, threads, warmup, runs)["latency_ms_p50"] for p in paths},
                ondevice.system_info())

    return time_models


def timer_for(target: str, settings: dict[str, Any]) -> TimeModels:
    """The timer of a target's whole nets: here for ``local``, else over SSH (``settings``: threads,
    warmup, runs, and the device for a remote target)."""
    if target == "local":
        return local_timer(settings["threads"], settings["warmup"], settings["runs"])
    return device_timer(target, settings["device"], settings["threads"], settings["warmup"], settings["runs"])


def device_timer(target: str, device: dict[str, Any], threads: int, warmup: int, runs: int) -> TimeModels:
    """Time ONNX files on a device over SSH, with the benchmark's device program and transport."""
    from ..remote import Target, run_on_device

    def time_models(paths: list[str]) -> tuple[dict[str, float], dict[str, str]]:
        result = run_on_device(Target(name=target, **dict(device, threads=[threads])), paths, None, warmup, runs)
        return {r["model"]: r["latency_ms_p50"] for r in result["rows"]}, result["system"]

    return time_models
