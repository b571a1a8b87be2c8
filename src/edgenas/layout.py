"""Which targets, spaces, budgets and controls a run has, and the files that hold them: derived
from the config once, while the workflow is parsed (torch-free), so the rules only wire files and
a test can check the plan without Snakemake."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .controls import at_final, at_final_space, control_names
from .registry import FINAL_FILE, HARDWARE_AWARE_SPACES
from .remote import ssh_settings
from .settings import Prune

DATA = {"train": "resources/data/train.npz", "test": "resources/data/test.npz", "stats": "resources/data/stats.json"}
FIT = "results/checks/fit.json"  # rule check_fit: whether the trainings fit the data's image counts


def emulator_python(cpu: str) -> str:
    """Where the emulated Python for a CPU is built (rule emulated_python)."""
    return f"resources/emulator/{cpu}/python"


@dataclass(frozen=True, kw_only=True)
class Layout:
    """One run's plan. Paths are None where the run has no such file."""

    targets: list[str]               # local and every declared target
    emulated: dict[str, str]         # emulated target -> the CPU QEMU emulates (accuracy real, latency not)
    real_bench_targets: list[str]    # the benchmarked targets whose latencies mean something
    remote_targets: list[str]        # the remote devices this run uses: each is checked before any long job
    space: str                       # search.space
    hardware_aware: bool             # searched on a target's latency table (dense, mobile)
    search_target: str | None        # the target the search's budget is on
    search_table: str | None         # that target's latency table
    budget: str | None               # the search's budget, resolved once for the search and its random controls
    controls: list[str]              # the control models' names (random1, nas_at_final, ...)
    at_final_space: str | None       # the at-final lane's space, where the pruned shape follows from the config
    pruned_shape: str | None         # that shape, planned right after the search
    planned_budget: str | None       # the lane's budget: the planned shape timed untrained
    at_final_table: str | None       # the table the lane draws and searches on
    final_budget: str | None         # the final model's latency measured after the chain, beside the plan
    languages: list[str]             # report.language as a list; the first's deliverables go in results/

    @property
    def lane_budget(self) -> str | None:
        """The budget the at-final lane draws and searches under: planned where it can be, else measured."""
        return self.planned_budget or self.final_budget

    @property
    def deliverables(self) -> list[tuple[str, str, str, str]]:
        """Per language: its results folder (results/, or results/<language>/ after the first), the language,
        its logs subfolder and the suffix of its categories in Snakemake's report."""
        return [("results", lang, "", "") if i == 0 else (f"results/{lang}", lang, f"{lang}/", f" ({lang})")
                for i, lang in enumerate(self.languages)]

    def named(self, rule: str, lang: str) -> str:
        """A deliverable rule's name: its own for the first language, with the language after it for the others."""
        return rule if lang == self.languages[0] else f"{rule}_{lang}"

    def ssh(self, config: dict[str, Any], name: str) -> dict[str, Any] | None:
        """A target's SSH settings as ``remote.Target`` takes them; None for this machine. An emulated
        target's Python is the one built on this machine (rule emulated_python)."""
        if name == "local":
            return None
        emulated = str(Path(emulator_python(self.emulated[name])).resolve()) if name in self.emulated else None
        return ssh_settings(config["targets"][name], emulated)

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Layout":
        declared = config["targets"]
        emulated = {name: t["emulate"] for name, t in declared.items() if t.get("emulate")}
        space = config["search"]["space"]
        hardware_aware = space in HARDWARE_AWARE_SPACES
        search = config["search"]["hardware_aware"]
        search_target = search["target"] if hardware_aware else None
        search_table = f"results/latency/{search_target}.json" if search_target else None
        controls = control_names(config["controls"]["models"], config["controls"]["random_seeds"])
        lane = any(at_final(c) for c in controls)
        lane_space = at_final_space(space, Prune.from_config(config)) if hardware_aware else None
        planned = "results/search/budget_at_final.json" if lane_space and lane else None
        return cls(
            targets=["local", *declared], emulated=emulated,
            real_bench_targets=[t for t in config["bench"]["targets"] if t not in emulated],
            remote_targets=sorted({t for t in [*config["bench"]["targets"], search_target] if t and t != "local"}),
            space=space, hardware_aware=hardware_aware, search_target=search_target,
            search_table=search_table, budget="results/search/budget.json" if search_target else None,
            controls=controls, at_final_space=lane_space,
            pruned_shape="results/search/pruned_shape.json" if lane_space and (
                lane or "pruned_scratch" in controls) else None,
            planned_budget=planned,
            at_final_table=f"results/latency/{search_target}_at_final.json" if planned else search_table,
            final_budget="results/search/final_budget.json" if lane else None,
            languages=[language] if isinstance(language := config["report"]["language"], str) else list(language),
        )


EAGER = ("baseline.onnx", "finetuned.onnx")  # FP32 files also timed in PyTorch eager mode on this machine


def deployed_models(deployed: dict[str, dict[str, Any]], target: str, flip_tta: bool) -> list[dict[str, Any]]:
    """What a target's benchmark reads per deployed file (``registry.deployed_files``): its names, the ONNX
    file, its evaluation (accuracy) and its checkpoint's (MACs, params); on this machine the checkpoint
    timed in PyTorch eager mode; whether it is measured again with flip test-time augmentation (the final model)."""
    return [{"model": m["model"], "stage": m["stage"], "onnx": f"results/models/{name}",
             "metrics": f"results/eval/{name}.json", "complexity": f"results/eval/{m['checkpoint']}.json",
             "eager": f"results/models/{m['checkpoint']}" if target == "local" and name in EAGER else None,
             "flip_tta": flip_tta and name == FINAL_FILE}
            for name, m in deployed.items()]
