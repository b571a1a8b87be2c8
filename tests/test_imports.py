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
    assert graph["edgenas.model"] >= {"edgenas.spaces.handmade"}  # the graph is read (a known edge)
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
