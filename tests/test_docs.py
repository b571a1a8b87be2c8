"""Every command of README.md and docs/ works as typed, in a fresh clone: the cheap ones run (every
snakemake command as a dry run, every edgenas command's options against its --help); every other
names only files, presets, profiles, targets, options and config keys that exist. Every dotted
config key the docs and the config's comments name resolves in the schema.

docs/measurements.md is left out on purpose: it is a log, each entry with the command as it ran then.
"""
import ast
import re
import shlex
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path

import pytest
import yaml
from conftest import REPO

DOCS = [REPO / "README.md", *sorted(p for p in (REPO / "docs").glob("*.md") if p.name != "measurements.md")]
SCHEMA = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())
FILE_SUFFIXES = (".html", ".md", ".json", ".csv", ".yaml", ".yml", ".py", ".pt", ".onnx", ".png", ".pdf", ".mp4",
                 ".typ", ".j2", ".tsv", ".npz", ".smk", ".log", ".txt", ".gz", ".tar", ".zip")
# Programs a reader runs elsewhere (on the Pi, on a cluster's login node) or that install things:
# nothing of this repository's is in their arguments to check.
ELSEWHERE = {"ssh", "ssh-keygen", "ssh-keyscan", "ssh-copy-id", "sudo", "apt", "apt-get", "pip", "python3", ".",
             "source", "sinfo", "sacct", "scp", "pytest", "cd", "brew", "conda", "typst"}


def shell_blocks(text: str) -> list[str]:
    """The bodies of a Markdown text's fenced shell blocks (```bash, ```sh, or no language)."""
    blocks, body, language = [], None, None
    for line in text.splitlines():
        if line.startswith("```"):
            if body is None:
                body, language = [], line[3:].strip()
            else:
                if language in ("bash", "sh", "shell", ""):
                    blocks.append("\n".join(body))
                body = None
        elif body is not None:
            body.append(line)
    return blocks


def commands(path: Path) -> list[list[str]]:
    """The commands of a Markdown file's fenced shell blocks, as argv lists, in order (continued
    lines joined, comments dropped, ``a && b`` split, a redirection cut off)."""
    found = []
    for block in shell_blocks(path.read_text()):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            while words:
                cut = next((i for i, w in enumerate(words) if w in ("&&", ";", "|", ">", ">>")), len(words))
                if words[:cut]:
                    found.append(words[:cut])
                words = words[cut + 1:] if cut < len(words) and words[cut] in ("&&", ";", "|") else []
    return found


def resolves(key: str, schema: dict = SCHEMA) -> bool:
    """Whether a dotted key (``search.hardware_aware.latency_ms``, ``targets.pi5.run_timeout``) names a
    setting of the schema."""
    node = schema
    for part in key.split("."):
        extra = node.get("additionalProperties")
        node = node.get("properties", {}).get(part, extra if isinstance(extra, dict) else None)
        if node is None:
            return False
    return True


def config_keys(text: str) -> set[str]:
    """Dotted keys in ``text`` whose first part is a top-level setting (file names aside)."""
    tops = "|".join(SCHEMA["properties"])
    return {k for k in re.findall(rf"(?<![\w./-])((?:{tops})(?:\.[A-Za-z0-9_]+)+)", text)
            if not k.endswith(FILE_SUFFIXES)}


@lru_cache(maxsize=None)
def options_of(script: str) -> frozenset[str]:
    """The options a script's argparse parser takes, read from its source."""
    tree = ast.parse((REPO / script).read_text())
    return frozenset(a.value for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "attr", "") ==
                     "add_argument" for a in n.args if isinstance(a, ast.Constant) and str(a.value).startswith("-"))


@lru_cache(maxsize=None)
def edgenas_help(command: str) -> str:
    out = subprocess.run([sys.executable, "-m", "edgenas.cli", *([command] if command else []), "--help"],
                         capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout, (command, out.stderr)
    return out.stdout


def log_patterns() -> list[str]:
    """The log files the workflow's rules write, as regular expressions."""
    logs = []
    for smk in (REPO / "workflow/rules").glob("*.smk"):
        for pattern in re.findall(r'^    log:\n\s+"([^"]+)"', smk.read_text(), re.M):
            logs.append(re.sub(r"\\\{\w+\\\}", r"[\\w.-]+", re.escape(pattern)))
    return logs


def options(argv: list[str]) -> list[str]:
    return [a.split("=")[0] for a in argv if a.startswith("-") and a != "-"]


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> Path:
    """The repository as a fresh clone has it (tracked files and new ones git does not ignore)."""
    root = tmp_path_factory.mktemp("clone")
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                            capture_output=True, text=True, check=True).stdout.split("\0")
    for name in filter(None, listed):
        if (REPO / name).is_file():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, root / name)
    # the data the docs' commands name, where a user puts it: ImageFolder archives, and a CIFAR-10 folder
    import tarfile

    from synthetic import write_imagefolder

    folder = write_imagefolder(root / "resources" / "synthetic", n_train=40, n_test=20)
    for archive in ("cifar10-jpeg.tar.gz", "flowers.tar.gz"):
        with tarfile.open(root / "resources" / archive, "w:gz") as tar:
            tar.add(folder, arcname="data")
    (root / "resources/cifar10/cifar-10-batches-py").mkdir(parents=True)
    return root


def check(argv: list[str], clone: Path, logs: list[str]) -> list[str] | None:
    """Checks one command that does not run; returns a snakemake command to dry-run instead."""
    program = argv[0]
    if program == "snakemake":
        return argv
    if program == "edgenas":
        command = argv[1] if len(argv) > 1 and not argv[1].startswith("-") else ""
        shown = edgenas_help(command)
        assert all(o in shown for o in options(argv)), (argv, shown)
        if command == "check-target":
            from edgenas.remote import target_files

            assert argv[2] in target_files(clone / "config/targets"), argv
        return None
    if program == "python" and argv[1].startswith("benchmarks/"):
        assert (REPO / argv[1]).is_file(), argv
        assert set(options(argv)) <= options_of(argv[1]), (argv, sorted(options_of(argv[1])))
        return None
    script = next((a for a in argv[1:] if a.endswith((".py",))), None)
    if script and Path(script).name in ("demo.py", "ondevice.py"):  # the device programs, by any Python
        assert set(options(argv)) <= options_of(f"src/edgenas/device/{Path(script).name}"), argv
        return None
    if program == "cp":
        *sources, dest = [a for a in argv[1:] if not a.startswith("-")]
        for source in sources:
            assert (clone / source).exists(), argv
            copy = shutil.copytree if (clone / source).is_dir() else shutil.copy2
            copy(clone / source, clone / dest)
        return None
    if program == "tail":
        assert any(re.fullmatch(p, argv[-1]) for p in logs), (argv, "no rule writes this log")
        return None
    assert program in ELSEWHERE or Path(program).name in ELSEWHERE, f"{argv}: a command the docs test does not know; teach it or rewrite it"
    return None


def dry_run(argv: list[str], clone: Path) -> tuple[list[str], subprocess.CompletedProcess]:
    run = [*argv, "--dry-run"] if "--report" not in argv and "-n" not in argv else argv
    return argv, subprocess.run([sys.executable, "-m", *run], cwd=clone, capture_output=True, text=True, timeout=300)


def test_every_command_in_the_docs_works_as_typed(clone):
    logs = log_patterns()
    todo, seen = [], set()
    for doc in DOCS:
        for argv in commands(doc):
            planned = check(argv, clone, logs)
            if planned and tuple(planned) not in seen:
                seen.add(tuple(planned))
                todo.append(planned)
    assert len(todo) > 20  # the README and the guide show that many snakemake commands
    with ThreadPoolExecutor(2) as pool:
        for argv, out in pool.map(lambda a: dry_run(a, clone), todo):
            text = out.stdout + out.stderr
            if "--report" in argv:  # a fresh clone has no finished run: one line says so
                assert out.returncode != 0 and out.stderr.strip().count("\n") == 0, text[-2000:]
                assert "run the workflow first" in out.stderr, text[-2000:]
            else:
                assert out.returncode == 0, f"{shlex.join(argv)}:\n{text[-3000:]}"


def test_every_config_key_the_docs_and_the_configs_name_exists():
    named = {}
    for doc in DOCS:
        for key in config_keys(" ".join(re.findall(r"`([^`\n]+)`", doc.read_text()))):
            named.setdefault(key, doc.name)
    for path in sorted((REPO / "config").rglob("*.yaml")):
        comments = " ".join(line.split("#", 1)[1] for line in path.read_text().splitlines() if "#" in line)
        for key in config_keys(comments):
            named.setdefault(key, str(path.relative_to(REPO)))
    assert len(named) > 20
    unknown = {k: where for k, where in named.items() if not resolves(k)}
    assert not unknown, unknown


def test_the_checker_catches_a_renamed_key_preset_and_file(clone, tmp_path):
    """The two tests above can fail: a key the schema lost, a preset or a log that no longer exists."""
    assert resolves("search.hardware_aware.latency_ms") and not resolves("search.mobile.latency_ms")
    assert resolves("targets.pi5.run_timeout") and not resolves("demo.display")
    assert config_keys("`report.html` and `prune.ratio`") == {"prune.ratio"}
    with pytest.raises(AssertionError):
        check(["tail", "-f", "logs/no_such_rule.log"], clone, log_patterns())
    with pytest.raises(AssertionError):
        check(["edgenas", "demo", "--display", "256"], clone, log_patterns())
    with pytest.raises(AssertionError):
        check(["edgenas", "check-target", "pi9"], clone, log_patterns())
    argv, out = dry_run(["snakemake", "--cores", "all", "--configfile", "config/presets/no_such.yaml"], clone)
    assert out.returncode != 0


def test_a_preset_on_the_pi_profile_plans_the_pis_benchmark(clone):
    """The study preset with the Pi's profile, as the README combines them: the Pi's benchmark and its
    check are planned (a target is its file, config/targets/pi5.yaml, which no preset drops)."""
    argv = ["snakemake", "results/bench_pi5.csv", "--cores", "all", "--workflow-profile", "profiles/pi5",
            "--configfile", "config/presets/study.yaml"]
    _, out = dry_run(argv, clone)
    text = out.stdout + out.stderr
    assert out.returncode == 0, text[-3000:]
    for rule in ("bench", "check_target"):
        assert re.search(rf"rule {rule}:\n(?:    .*\n)*?    wildcards: target=pi5\n", text), rule
    for control in ("random3", "nas_at_final", "random3_at_final", "pruned_scratch"):  # the study preset's controls
        assert f"control_{control}" in text, control
    # the at-final lane's budget is planned right after the search; the final model's own timing is the report's
    assert "search_at_final" in text and "budget_at_final" in text and "rule final_budget:" not in text


def test_every_library_name_the_benchmarks_cite_exists():
    """A benchmark's docstring that names ``edgenas.<module>.<function>`` names one that imports: a moved
    function fails here, not in a reader's search."""
    import importlib

    missing = []
    for path in sorted((REPO / "benchmarks").glob("*.py")):
        for ref in set(re.findall(r"edgenas(?:\.[A-Za-z_]\w*)+", path.read_text())):
            parts = ref.split(".")
            for i in range(len(parts), 0, -1):
                try:
                    obj = importlib.import_module(".".join(parts[:i]))
                except ImportError:
                    continue
                for name in parts[i:]:
                    obj = getattr(obj, name, None)
                missing += [] if obj is not None else [(path.name, ref)]
                break
    assert not missing, missing


def slug(heading: str) -> str:
    """GitHub's anchor of a Markdown heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    return {slug(m) for m in re.findall(r"^#+ (.+)$", path.read_text(), re.M)}


def broken_links(files: list[Path]) -> list[tuple[str, str]]:
    """Every relative Markdown link ``[..](path#anchor)`` and every config comment's ``docs/<file>.md#anchor``
    or ``docs/<file>.md ("Section title")`` in ``files`` that leads nowhere."""
    broken = []
    for path in files:
        text = path.read_text()
        targets = [(path.parent / t, a) for t, a in re.findall(r"\]\(([^)#\s:]*\.md|)(?:#([^)\s]+))?\)", text)]
        targets += [(REPO / t, a) for t, a in re.findall(r"\b(docs/[\w-]+\.md)#([\w-]+)", text)]
        targets += [(REPO / t, slug(title)) for t, title in re.findall(r"\b(docs/[\w-]+\.md),? \(?\"([^\"]+)\"", text)]
        for target, anchor in targets:
            target = path if target == path.parent else target
            if not target.is_file() or (anchor and anchor not in anchors(target)):
                broken.append((path.name, f"{target.name}#{anchor}"))
    return broken


DOCUMENTS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md")), *sorted((REPO / "config").rglob("*.yaml"))]


def test_every_link_and_section_pointer_leads_somewhere(tmp_path):
    """README, docs and config comments point at files and sections that exist; renaming a section a link
    points to fails here (tried on a copy)."""
    assert broken_links(DOCUMENTS) == []
    decisions = (REPO / "docs/decisions.md").read_text()
    target = re.search(r"measurements\.md#([\w-]+)", decisions).group(1)
    renamed = tmp_path / "docs"
    renamed.mkdir()
    (renamed / "decisions.md").write_text(decisions)
    measurements = (REPO / "docs/measurements.md").read_text()
    heading = next(h for h in re.findall(r"^#+ (.+)$", measurements, re.M) if slug(h) == target)
    (renamed / "measurements.md").write_text(measurements.replace(heading, heading + " (renamed)"))
    assert broken_links([renamed / "decisions.md"])
