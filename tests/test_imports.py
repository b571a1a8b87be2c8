"""The library's import graph: modules depend one way (a cycle ties every module in it to the rest)."""
import ast
from pathlib import Path

import edgenas

ROOT = Path(edgenas.__file__).parent


def imports() -> dict[str, set[str]]:
    """Module -> the edgenas modules it imports, at its top or inside a function."""
    mods = {".".join(f.relative_to(ROOT.parent).with_suffix("").parts).removesuffix(".__init__"): f
            for f in ROOT.rglob("*.py")}
    graph = {m: set() for m in mods}
    for m, f in mods.items():
        package = m if f.name == "__init__.py" else m.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, ast.ImportFrom):
                base = package.split(".")[:len(package.split(".")) - node.level + 1] if node.level else []
                target = ".".join(base + ([node.module] if node.module else []))
                for alias in node.names:
                    name = f"{target}.{alias.name}"
                    graph[m] |= {name} if name in mods else ({target} if target in mods else set())
            elif isinstance(node, ast.Import):
                graph[m] |= {a.name for a in node.names if a.name in mods}
    return graph


def test_the_import_graph_has_no_cycle():
    graph = imports()
    assert graph["edgenas.model"] >= {"edgenas.nets"}  # the graph is read (a known edge)
    state: dict[str, str] = {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        for dep in sorted(graph[module] - {module}):
            assert state.get(dep) != "open", " -> ".join(path + [module, dep])
            if dep not in state:
                visit(dep, path + [module])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [])


def test_the_package_is_grouped_by_the_studys_phases_and_the_device_side_never_imports_torch():
    """Each phase is a package (search, compression, measurement, deliverables, device); nothing of a
    later phase is imported by the search, and the device side runs where torch is not installed:
    it imports nothing of edgenas but itself."""
    import subprocess
    import sys

    graph = imports()
    phases = ("search", "compression", "measurement", "deliverables", "device")
    assert all(f"edgenas.{p}" in graph for p in phases)
    device = {m for m in graph if m.startswith("edgenas.device.")}
    assert device == {"edgenas.device.ondevice", "edgenas.device.demo", "edgenas.device.overlay"}
    for module in device:
        assert graph[module] <= device, (module, graph[module] - device)
    code = ("import sys; sys.modules['torch'] = None; sys.modules['torchvision'] = None; "
            "import edgenas.device.ondevice, edgenas.device.demo, edgenas.device.overlay; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]


PHASES = ("search", "compression", "measurement", "deliverables")  # the order a run goes through them
# the building blocks every phase may use, below them all; they import no phase's module
BLOCKS = ("edgenas.training", "edgenas.export", "edgenas.quantize", "edgenas.remote", "edgenas.nets",
          "edgenas.data", "edgenas.settings", "edgenas.accel", "edgenas.records", "edgenas.errors",
          "edgenas.runlog", "edgenas.resume", "edgenas.image_counts", "edgenas.registry")


def phase(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and parts[1] in PHASES else None


def test_the_phases_depend_one_way_and_the_building_blocks_on_none():
    """No module of a phase imports a later phase, at its top or inside a function (every pair of
    phases is checked); the shared building blocks import no phase at all."""
    graph = imports()
    assert graph["edgenas.search.latency"] >= {"edgenas.export", "edgenas.quantize", "edgenas.remote"}  # read
    backwards = [(m, d) for m, deps in graph.items() for d in deps
                 if phase(m) and phase(d) and PHASES.index(phase(d)) > PHASES.index(phase(m))]
    assert not backwards, backwards
    for block in BLOCKS:
        assert not {d for d in graph[block] if phase(d)}, (block, sorted(d for d in graph[block] if phase(d)))
