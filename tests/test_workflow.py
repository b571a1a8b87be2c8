"""The whole DAG through Snakemake on the smoke preset, with a small generated data set."""
import base64
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, unavailable

pytestmark = pytest.mark.workflow
SMOKE_LIMIT_S = 900  # the smoke preset's whole DAG takes about 3 minutes on 2 cores


def snakemake(workdir, *args, check=True, configfiles=()):
    cmd = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "-d", str(workdir), "--cores", "2",
           *args, "--configfile", str(REPO / "config/presets/smoke.yaml"), *map(str, configfiles)]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=SMOKE_LIMIT_S)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-6000:]}")
    return result


def planned_rules(output: str) -> dict[str, int]:
    """Rule -> job count from a dry run's 'Job stats' table."""
    table = output.split("Job stats:", 1)[1] if "Job stats:" in output else ""
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+)\s+(\d+)\s*$", table, re.M)
            if m.group(1) != "total"}


@pytest.fixture(scope="module")
def run(imagefolder, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("run")
    data = [f"data_root={imagefolder}", "data={dataset: imagefolder}"]
    out = snakemake(workdir, "--config", *data)
    (workdir / "console.txt").write_text(out.stdout + out.stderr)
    return workdir, data


def test_a_finished_run_says_what_it_made_and_where(run):
    """The run ends with its summary: the final model, the verdict on random and the deliverables'
    paths; edgenas summary prints the same again."""
    import pandas as pd

    workdir, _ = run
    console = (workdir / "console.txt").read_text()
    summary = console.split("edgenas: the run is done", 1)[1]
    bench = pd.read_csv(workdir / "results/bench_local.csv")
    final = bench[(bench.stage == "int8") & (bench.threads == bench.threads.min())].iloc[0]
    assert f"{100 * final.accuracy:.2f} % at {final.latency_ms_p50:.3f} ms, {final.size_mb:.3f} MB" in summary
    assert "2 random net(s) cannot tell a search from a lucky draw" in summary  # the smoke preset trains two
    assert "At the final model's latency, did NAS beat random? Not decided (too few random nets), against 2" in summary
    for path in ("results/report/report.html", "results/report/paper.pdf", "results/report/slides.pdf",
                 "results/demo/demo.mp4", "results/edge"):
        assert path in summary and (workdir / path).exists()
    again = subprocess.run([sys.executable, "-m", "edgenas.cli", "summary", str(workdir)], capture_output=True,
                           text=True)
    assert again.returncode == 0 and again.stdout.strip().splitlines()[1] in summary


def dead_target(tmp_path, sshd, **changes):
    """A config declaring the device 'dead' over the tests' sshd, with ``changes``, benchmarked by the run."""
    import yaml

    settings = dict({k: v for k, v in sshd.items() if not k.startswith("_")}, **changes)
    path = tmp_path / "dead.yaml"
    path.write_text(yaml.safe_dump({"targets": {"dead": settings}, "bench": {"targets": ["local", "dead"]}}))
    return path


@pytest.mark.parametrize("changes,cause", [
    (lambda tmp: {"port": free_port()}, r"127\.0\.0\.1:\d+: host unreachable"),
    (lambda tmp: {"python": bare_python(tmp / "bare")}, "onnxruntime or numpy missing"),
])
def test_a_device_that_does_not_answer_stops_the_run_before_any_training(imagefolder, sshd, tmp_path, changes, cause):
    """A remote target the run benchmarks is checked first: a closed port or a Python without
    onnxruntime stops the run in seconds, naming the device and the cause, before the latency table,
    the search or any training starts."""
    import time

    workdir = tmp_path / "run"
    start = time.monotonic()
    out = snakemake(workdir, "--config", f"data_root={imagefolder}", "data={dataset: imagefolder}", check=False,
                    configfiles=[dead_target(tmp_path, sshd, **changes(tmp_path))])
    assert out.returncode != 0 and time.monotonic() - start < 60
    text = out.stdout + out.stderr
    assert re.search(cause, text) and "logs/check_target/dead.log" in text, text[-3000:]
    started = set(re.findall(r"^(?:local)?rule (\w+):", text, re.M))
    assert not started & {"latency", "search", "train", "train_control"}, started


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bare_python(folder) -> str:
    """A Python without numpy and onnxruntime: a virtual environment of the base interpreter."""
    subprocess.run([sys._base_executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    return str(folder / "bin/python")


def test_snakemakes_provenance_report_as_the_readme_types_it(run):
    """snakemake --report report.html, without --cores, on the finished run: Snakemake's report."""
    workdir, data = run
    cmd = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "--report", "report.html",
           "--configfile", str(REPO / "config/presets/smoke.yaml"), "--config", *data]
    out = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    page = (workdir / "report.html").read_text()

    def embedded(name):
        return json.loads(re.search(rf"var {name} = (\{{.*?\}});\n", page, re.S).group(1))

    # the run's rules, with their code and parameters
    assert {"search", "train", "prune", "finetune", "quantize", "bench", "facts", "demo"} <= set(embedded("rules"))
    results = embedded("results")
    marked = {str(p.relative_to(workdir)) for p in (workdir / "results/figures").rglob("*.png")}
    marked |= {"results/bench_local.csv", "results/latency/local.json", "results/demo/demo.mp4",
               "results/demo/summary.json", *(f"results/report/{f}" for f in ("report.html", "report.md", "paper.pdf",
                                                                              "slides.pdf", "slides_notes.pdf"))}
    assert set(results) == marked  # every file marked for the report, and the figures among them
    bench = results["results/bench_local.csv"]["data_uri"].split("base64,", 1)[1]
    assert base64.b64decode(bench) == (workdir / "results/bench_local.csv").read_bytes()  # the run's own table


def test_settings_the_data_is_too_small_for_are_refused_before_any_long_job(imagefolder, tmp_path):
    """The test images (a few dozen) at the default batch of 128: every training with the one-cycle
    schedule would make too few steps. The check after the data stage names each, and nothing long
    (latency table, search, trainings) starts."""
    data = [f"data_root={imagefolder}", "data={dataset: imagefolder}"]
    out = snakemake(tmp_path, "--config", *data, "train={batch_size: 128}", "search={hardware_aware: {halving: {images: 100000, max_images: 100000}}}",
                    check=False)
    assert out.returncode != 0 and "logs/check_fit.log" in out.stdout + out.stderr
    text = (tmp_path / "logs/check_fit.log").read_text()
    assert "too few for these settings" in text and "search.hardware_aware.halving (a round on" in text, text
    assert "train: the one-cycle schedule" in text and "train.batch_size" in text
    assert not (tmp_path / "logs/latency").exists() and not (tmp_path / "logs/search.log").exists()
    assert not (tmp_path / "logs/train_control").exists() and (tmp_path / "resources/data/train.npz").exists()
    # once the data is there, the same settings are refused when the workflow is parsed, before any job
    out = snakemake(tmp_path, "-n", "--config", *data, "train={batch_size: 128}", check=False)
    assert out.returncode != 0 and "too few for these settings" in out.stdout + out.stderr
    assert "prepare_data" not in out.stdout  # the decoded data is kept
    # other data (here a larger set elsewhere) is decoded first and checked then, not judged by these counts
    other = tmp_path / "other"
    shutil.copytree(imagefolder, other)
    out = snakemake(tmp_path, "-n", "--config", f"data_root={other}", "data={dataset: imagefolder}",
                    "train={batch_size: 128}", check=False)
    assert "too few for these settings" not in out.stdout + out.stderr and "prepare_data" in out.stdout


def test_the_searched_nets_chain_starts_before_the_controls(run):
    """Under Snakemake's default scheduler the search starts before any control's training, though
    both wait on the same latency table and two trainings fit the cores the search takes."""
    workdir, _ = run
    started = re.findall(r"^(?:local)?rule (\w+):", (workdir / "console.txt").read_text(), re.M)
    assert "search" in started and "train_control" in started
    assert started.index("search") < started.index("train_control"), started
    # the at-final lane is planned before any training, so it starts beside the searched net's training
    assert started.index("latency_at_final") < started.index("search") < started.index("budget_at_final")
    assert started.index("budget_at_final") < min(started.index("train"), started.index("train_control"))
    assert started.index("search_at_final") < started.index("prune"), started


def test_every_artifact_exists(run):
    workdir, _ = run
    r = workdir / "results"
    for path in ["search/genotype.json", "models/baseline.pt", "models/pruned.pt", "models/finetuned.pt",
                 "models/finetuned.onnx", "models/int8.onnx", "models/baseline.onnx", "models/pruned.onnx",
                 "models/prune.json", "models/baseline_history.csv", "models/finetuned_history.csv",
                 "bench_local.csv", "figures/local/accuracy_latency.png", "figures/local/accuracy_size.png",
                 "figures/local/stage_gains.png", "figures/architecture.png", "figures/population.png",
                 "figures/latency_check.png", "figures/training_curves.png", "report/report.html", "report/report.md",
                 "report/paper.pdf", "report/slides.pdf", "report/facts.json", "report/paper/main.typ",
                 "report/paper/facts.json", "report/slides/main.typ", "report/paper/figures/architecture.png",
                 "search/budget.json",
                 "latency/local.json", "models/baseline_int8.onnx", "models/control_resnet20_int8.onnx",
                 "models/control_resnet20.pt", "models/control_mobilenetv2.onnx", "models/control_random2.pt",
                 "models/control_airbench94_int8.onnx", "search/final_budget.json", "search/genotype_at_final.json",
                 "models/control_nas_at_final_int8.onnx", "models/control_random1_at_final_int8.onnx",
                 "models/control_pruned_scratch_int8.onnx", "report/slides_notes.pdf",
                 "demo/demo.mp4", "demo/summary.json",
                 "edge/int8.onnx", "edge/ondevice.py", "edge/demo.py", "edge/README.md"]:
        assert (r / path).is_file(), path
    for log in ["prepare_data", "latency/local", "search", "train", "prune", "finetune", "quantize/int8", "search_figures",
                "training_curves", "figures/local", "train_control/resnet20", "budget", "facts", "results_report", "demo",
                "edge_bundle"]:
        assert (workdir / "logs" / f"{log}.log").is_file(), log


def test_the_report_states_the_precision_the_searched_net_trained_in(run):
    """facts.json and report.md take the arithmetic from baseline_history.csv, the same one every
    epoch row names (the precision auto resolved to on the machine that trained it)."""
    import pandas as pd

    from edgenas.words import load_words

    workdir, _ = run
    r = workdir / "results"
    trained = pd.read_csv(r / "models/baseline_history.csv").precision.unique().tolist()
    assert len(trained) == 1 and trained[0] in ("32-true", "bf16-mixed")
    facts = json.loads((r / "report/facts.json").read_text())
    assert facts["report"]["train_precision"] == trained[0]
    assert facts["paper"]["v"]["train_precision"] == load_words("en")["precision"][trained[0]]
    assert f"epochs ({trained[0]})" in (r / "report/report.md").read_text()


def test_genotype_rebuilds_and_models_learn(run):
    import numpy as np
    import pandas as pd
    import torch

    from edgenas.model import load_checkpoint
    from edgenas.search.genotype import read_search_result
    from edgenas.search.latency import read_latency_table, sample_archs
    from edgenas.search.spaces.dense import build_net

    workdir, _ = run
    result = read_search_result(workdir / "results/search/genotype.json")
    assert result.space == "dense" and result.search["target"] == "local"  # the default space
    assert result.strategy == "halving" and result.search["rounds"][0] == 128  # the smoke preset's 4 candidates
    assert sorted(len(c["rounds"]) for c in result.population if c["rounds"]) == [1, 1, 2, 2]
    net = build_net(result.arch, num_classes=4)
    assert net(torch.zeros(1, 3, 16, 16)).shape == (1, 4)
    table = read_latency_table(workdir / "results/latency/local.json", "dense")
    # the smoke preset's budget binds: about half the space lies over it, no drawn net does
    over = np.mean([table.predict(a) > result.search["latency_ms"] for a in sample_archs(200, seed=7, space="dense")])
    assert 0.2 < over < 0.8, over
    assert all(0.5 * result.search["latency_ms"] <= c["predicted_ms"] <= result.search["latency_ms"]
               for c in result.population)
    # and no net of the table's check is predicted below zero, though four nets fit its correction
    assert min(n[fmt]["predicted"] for n in table.checks["nets"] for fmt in ("int8", "fp32")) > 0
    assert result.search["predicted_ms"] == table.predict(result.arch)
    loaded, spec, meta = load_checkpoint(workdir / "results/models/finetuned.pt")
    assert spec["arch"] == result.arch and meta["classes"] == ["blue", "gray", "green", "red"]
    assert meta["recipe"]["epochs"] == 2 and meta["recipe"]["schedule"] == "cosine"  # the smoke preset's fine-tuning
    _, random_spec, _ = load_checkpoint(workdir / "results/models/control_random1.pt")
    assert random_spec["family"] == "dense" and table.predict(random_spec["arch"]) <= result.search["latency_ms"]

    bench = pd.read_csv(workdir / "results/bench_local.csv")
    onnx = bench[bench["format"].str.startswith("onnx")]
    nas = onnx[onnx.model == "nas"]
    assert list(nas.stage) == ["baseline", "pruned", "finetuned", "int8", "baseline_int8", "int8_flip_tta"]
    assert set(onnx[onnx.model == "resnet20"].stage) == {"baseline", "baseline_int8"}
    acc = dict(zip(nas.stage, nas.accuracy))
    # 4 classes, 160 test images: chance is 0.25 (sd 0.034); the smoke recipe is short, so only "well above"
    assert acc["baseline"] > 0.4 and acc["finetuned"] > 0.4
    assert abs(acc["int8"] - acc["finetuned"]) <= 0.05
    size = dict(zip(nas.stage, nas.size_mb))
    assert size["int8"] < size["finetuned"] and size["baseline_int8"] < size["baseline"]
    assert (nas.latency_ms_p50 > 0).all() and (nas.latency_ms_p50 <= nas.latency_ms_p99).all()
    macs = dict(zip(nas.stage, nas.macs))
    assert macs["pruned"] < macs["baseline"] == macs["baseline_int8"]
    eval_int8 = json.loads((workdir / "results/eval/int8.onnx.json").read_text())
    assert eval_int8["accuracy"] == pytest.approx(acc["int8"], abs=1e-6)
    html = (workdir / "results/report/report.html").read_text()
    assert "data:image/png;base64" in html and "finetuned" in html


def markdown_tables(text: str) -> dict[str, list]:
    """Heading -> the tables under it, each a DataFrame of the cells' text."""
    import pandas as pd

    tables: dict[str, list] = {}
    heading, lines = "", text.splitlines()
    i = 0
    while i < len(lines):
        if lines[i].startswith("#"):
            heading = lines[i].lstrip("# ").strip()
        if lines[i].startswith("| "):
            block = []
            while i < len(lines) and lines[i].startswith("|"):
                block.append([c.strip() for c in lines[i].strip().strip("|").split("|")])
                i += 1
            tables.setdefault(heading, []).append(pd.DataFrame(block[2:], columns=block[0]))
            continue
        i += 1
    return tables


def number(cell: str) -> float:
    """A report cell's number ('87.50', '+0.25', '4.39x')."""
    return float(cell.rstrip("x"))


def test_report_tables_match_the_csvs(run):
    """The report's tables, recomputed here from bench_local.csv and the training histories alone
    (not through edgenas.deliverables.analysis), to the digits the report shows: the results, the deployed models
    and their Pareto front, NAS against each control, the compression chain, the kept random net."""
    import math

    import pandas as pd

    workdir, _ = run
    md = (workdir / "results/report/report.md").read_text()
    html = re.sub(r">\s+<", "><", (workdir / "results/report/report.html").read_text())
    tables = markdown_tables(md)
    bench = pd.read_csv(workdir / "results/bench_local.csv")
    results = tables["Target: local"][0]
    assert len(results) == len(bench) and "latency p50 (ms)" in results.columns
    for (_, cell), (_, row) in zip(results.iterrows(), bench.iterrows()):
        assert (cell.model, cell.stage, int(cell.threads)) == (row.model, row.stage, row.threads)
        assert number(cell["accuracy (%)"]) == pytest.approx(100 * row.accuracy, abs=0.005)
        assert number(cell["latency p50 (ms)"]) == pytest.approx(row.latency_ms_p50, abs=5e-4)
        assert number(cell["size (MB)"]) == pytest.approx(row.size_mb, abs=5e-4)
        assert number(cell["MACs (M)"]) == pytest.approx(row.macs / 1e6, abs=0.005)
        assert "<td>" + "</td><td>".join(cell) + "</td>" in html  # the HTML shows the same cells

    onnx = bench[bench["format"].str.startswith("onnx") & (bench.threads == bench.threads.min())]
    row_of = {(r.model, r.stage): r for r in onnx.itertuples()}

    def se(r) -> float:
        return math.sqrt(r.accuracy * (1 - r.accuracy) / r.test_images)

    deployed, versus_int8, versus_fp32 = tables["local"][:3]  # "Did NAS help?"
    steps = tables["local"][4]  # "What did compression add?", after the comparison at the final model's latency
    final = {m: row_of[(m, "int8" if m == "nas" else "baseline_int8")] for m in onnx.model.unique()}
    assert set(deployed.model) == set(final) == {"nas", "random1", "random2", "resnet20", "mobilenetv2", "airbench94",
                                                 "nas_at_final", "random1_at_final", "random2_at_final", "pruned_scratch"}
    # the search is held against the controls of its own budget; those of compression are held apart
    assert set(versus_int8.model) == set(versus_fp32.model) == {"nas", "random1", "random2", "resnet20", "mobilenetv2",
                                                                "airbench94"}
    for _, cell in deployed.iterrows():
        r = final[cell.model]
        assert number(cell["accuracy (%)"]) == pytest.approx(100 * r.accuracy, abs=0.005)
        assert number(cell["std error (points)"]) == pytest.approx(100 * se(r), abs=0.005)
        better = {m for m, o in final.items()
                  if m != cell.model and o.accuracy >= r.accuracy and o.latency_ms_p50 <= r.latency_ms_p50}
        assert cell["on Pareto front"] == ("yes" if not better else "no")
        assert set(filter(None, cell["dominated by"].split(", "))) == better
    for table, stage in ((versus_int8, "baseline_int8"), (versus_fp32, "baseline")):
        nas = row_of[("nas", stage)]
        for _, cell in table.iterrows():
            r = row_of[(cell.model, stage)]
            assert number(cell["accuracy (%)"]) == pytest.approx(100 * r.accuracy, abs=0.005)
            if cell.model != "nas":
                diff = 100 * (r.accuracy - nas.accuracy)
                assert number(cell["vs NAS (points)"]) == pytest.approx(diff, abs=0.005)
                # paired on the same test images, by hand from the two files' evaluations
                both = paired_se(workdir, onnx_file(cell.model, stage), onnx_file("nas", stage))
                assert number(cell["std error of the difference (points)"]) == pytest.approx(100 * both, abs=0.005)
                assert cell["beyond noise"] == ("yes" if abs(diff) > 200 * both else "no")
    nas_rows = bench[(bench.model == "nas") & bench["format"].str.startswith("onnx")]
    for _, cell in steps.iterrows():
        at = nas_rows[nas_rows.threads == int(cell.threads)].set_index("stage")
        r, base = at.loc[cell.stage], at.loc["baseline"]
        assert number(cell["speed-up (total)"]) == pytest.approx(base.latency_ms_p50 / r.latency_ms_p50, abs=0.005)
        assert number(cell["smaller (total)"]) == pytest.approx(base.size_mb / r.size_mb, abs=0.005)
        assert number(cell["accuracy change (points)"]) == pytest.approx(100 * (r.accuracy - base.accuracy), abs=0.005)
    assert set(steps.stage) == {"baseline", "pruned", "finetuned", "int8"}
    # "did the search beat random?" holds it against the random net with the best validation accuracy
    val = {m: pd.read_csv(workdir / f"results/models/control_{m}_history.csv").val_acc.iloc[-1]
           for m in ("random1", "random2")}
    kept = max(val, key=val.get)
    assert kept in md.split("Did the search beat random?")[1].split("\n")[0]
    tta = bench[bench.stage == "int8_flip_tta"]  # the final model again, with flip TTA: a row per thread count
    assert len(tta) == bench.threads.nunique() and (tta.macs == 2 * bench[bench.stage == "int8"].macs.iloc[0]).all()
    flip = tables["local"][-1]
    one = onnx.set_index("stage")
    assert number(flip["accuracy with flip TTA (%)"].iloc[0]) == pytest.approx(
        100 * one.loc["int8_flip_tta"].accuracy, abs=0.005)


def onnx_file(model: str, stage: str) -> str:
    """The deployed file of a model's stage (edgenas.registry's names)."""
    if model == "nas":
        return f"{stage}.onnx"
    return f"control_{model}{'_int8' if stage == 'baseline_int8' else ''}.onnx"


def paired_se(workdir, first: str, second: str) -> float:
    """The paired standard error of two deployed files' accuracies, by hand from their evaluations."""
    import numpy as np

    from edgenas.records import unpack_flags

    flags = []
    for name in (first, second):
        record = json.loads((workdir / f"results/eval/{name}.json").read_text())
        flags.append(unpack_flags(record["correct"], record["images"]))
    d = flags[0].astype(float) - flags[1].astype(float)
    return float(np.sqrt(d.var() / len(d)))


def test_compression_is_held_against_controls_that_can_say_no(run):
    """The smoke preset trains every control of "what did compression add?": the same search among the
    shapes pruning gives the space's nets, under the pruned shape's latency planned right after the search
    (its pick trained and quantized without pruning), random nets drawn there, and the pruned architecture
    with fresh weights. The benchmark has their rows, final_budget.json the plan beside the final model's
    latency, and the report the decomposition with its paired 2-SE verdicts, recomputed here."""
    import pandas as pd
    import torch

    from edgenas.model import load_checkpoint
    from edgenas.search.genotype import read_search_result
    from edgenas.search.latency import read_latency_table

    workdir, _ = run
    r = workdir / "results"
    bench = pd.read_csv(r / "bench_local.csv")
    for model in ("nas_at_final", "random1_at_final", "random2_at_final", "pruned_scratch"):
        assert set(bench[bench.model == model].stage) == {"baseline", "baseline_int8"}, model
    plan = json.loads((r / "search/budget_at_final.json").read_text())
    budget = json.loads((r / "search/final_budget.json").read_text())
    shape = json.loads((r / "search/pruned_shape.json").read_text())
    assert plan["space"] == shape["space"] == "dense@0.25/16" and plan["arch"] == shape["arch"]
    assert budget["latency_ms"] == plan["latency_ms"] == max(plan["planned_ms"], plan["space_floor_ms"])
    assert budget["threads"] == 1 and budget["planned_ms"] == plan["planned_ms"]
    # measured_ms times the final INT8 file apart from the plan: only the record's arithmetic is asserted
    assert budget["measured_over_planned"] == pytest.approx(budget["measured_ms"] / budget["planned_ms"])
    assert budget["raised"] == (budget["space_floor_ms"] > budget["planned_ms"])
    table = read_latency_table(r / "latency/local_at_final.json", "dense@0.25/16")
    at_final = read_search_result(r / "search/genotype_at_final.json")
    assert at_final.space == "dense@0.25/16" and at_final.search["latency_ms"] == budget["latency_ms"]
    assert at_final.search["predicted_ms"] <= budget["latency_ms"]
    for name in ("random1_at_final", "random2_at_final"):
        spec = load_checkpoint(r / f"models/control_{name}.pt")[1]
        assert spec["family"] == "dense@0.25/16" and table.predict(spec["arch"]) <= budget["latency_ms"]
    assert load_checkpoint(r / "models/control_nas_at_final.pt")[1]["arch"] == at_final.arch
    # Scratch-E: the pruned net's shapes, other weights
    scratch, pruned = (load_checkpoint(r / f"models/{n}.pt")[0].state_dict() for n in ("control_pruned_scratch", "pruned"))
    assert {k: v.shape for k, v in scratch.items()} == {k: v.shape for k, v in pruned.items()}
    assert not all(torch.equal(scratch[k], pruned[k]) for k in scratch if scratch[k].is_floating_point())
    # the report's decomposition, recomputed from the CSV and the evaluations' per-image flags
    md = (r / "report/report.md").read_text()
    one = bench[bench["format"].str.startswith("onnx") & (bench.threads == 1)].set_index(["model", "stage"])
    fin = one.loc[("nas", "int8")]
    files = {("nas", "baseline"): "baseline.onnx", ("nas", "baseline_int8"): "baseline_int8.onnx",
             ("nas_at_final", "baseline_int8"): "control_nas_at_final_int8.onnx",
             ("pruned_scratch", "baseline_int8"): "control_pruned_scratch_int8.onnx"}
    decomposition = markdown_tables(md)["local"][6]
    assert list(decomposition.model) == ["nas", "nas", "nas_at_final", "pruned_scratch"]
    for _, cell in decomposition.iterrows():
        ref = one.loc[(cell.model, cell.stage)]
        se = paired_se(workdir, "int8.onnx", files[(cell.model, cell.stage)])
        diff = 100 * (fin.accuracy - ref.accuracy)
        assert number(cell["final model minus it (points)"]) == pytest.approx(diff, abs=0.005)
        assert number(cell["std error of the difference (points)"]) == pytest.approx(100 * se, abs=0.005)
        assert cell["paired on the same images"] == "yes"
        assert cell["beyond noise"] == ("yes" if abs(diff) > 200 * se else "no")
        assert number(cell["final model's speed-up"]) == pytest.approx(ref.latency_ms_p50 / fin.latency_ms_p50, abs=0.005)
    for sentence in ("Beyond a smaller architecture: the final model is", "The inherited weights and distillation:",
                     "Did the search beat random at the final model's latency?", "INT8 alone on each of them",
                     "The second budget was planned right after the search"):
        assert sentence in md, sentence
    # so few random nets give no verdict, at either budget
    assert "Did the search beat random? Not decided by this run: with 2 random net(s)" in md
    assert "Not decided: 2 random net(s) cannot tell a search from a lucky draw." in md


def test_the_at_final_lane_is_not_downstream_of_the_chain(imagefolder, tmp_path):
    """On the default config, as on the smoke preset, the second budget, the search at it and the pruned
    net from scratch need only the search: none of them waits for the baseline's training, pruning or
    fine-tuning, so the lane runs beside the main chain from the start."""
    data = [f"data_root={imagefolder}", "data={dataset: imagefolder}"]
    for configfiles in ((), (REPO / "config/presets/smoke.yaml",)):
        cmd = [sys.executable, "-m", "snakemake", "results/models/control_nas_at_final.pt",
               "results/models/control_pruned_scratch.pt", "-s", str(REPO / "Snakefile"), "-d", str(tmp_path), "-n",
               "--cores", "2", "--config", *data, *[a for c in configfiles for a in ("--configfile", str(c))]]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        planned = planned_rules(out.stdout + out.stderr)
        assert {"search", "budget_at_final", "search_at_final", "train_control"} <= set(planned), out.stderr[-2000:]
        assert not {"train", "prune", "finetune", "quantize", "final_budget"} & set(planned), planned


def test_any_set_of_controls_makes_a_report(run, tmp_path):
    """None, only the first question's (random nets, hand-made nets), only the second's (the at-final lane
    and the pruned net from scratch), or all: from the smoke run's results cut to each set, the facts are
    built and the report, the paper and the slides typeset, each answering what its controls can."""
    import pandas as pd

    from edgenas.controls import of_compression
    from edgenas.deliverables.facts import study_facts, write_facts
    from edgenas.deliverables.publish import publish
    from edgenas.deliverables.report import render

    workdir, _ = run
    r = workdir / "results"
    bench = pd.read_csv(r / "bench_local.csv")
    sets = {"none": lambda m: m == "nas", "first": lambda m: m == "nas" or not of_compression(m),
            "second": lambda m: m == "nas" or of_compression(m), "all": lambda m: True}
    for name, keep in sets.items():
        folder = tmp_path / name / "report"  # beside ../figures, as results/report is
        folder.mkdir(parents=True)
        shutil.copytree(r / "figures", tmp_path / name / "figures")
        bench[bench.model.map(keep)].to_csv(folder / "bench_local.csv", index=False)
        study = smoke_study(workdir, bench_csvs=[folder / "bench_local.csv"])
        facts = study_facts(study, lang="en", run_times=[], front={"title": None, "authors": [], "course": None})
        write_facts(facts, folder / "facts.json")
        render(json.loads((folder / "facts.json").read_text()), templates=[TEMPLATES], html_path=folder / "report.html",
               md_path=folder / "report.md")
        publish(folder / "facts.json", figures_dir=r / "figures", templates=[TEMPLATES], paper_dir=folder / "paper",
                slides_dir=folder / "slides", paper_pdf=folder / "paper.pdf", slides_pdf=folder / "slides.pdf",
                notes_pdf=folder / "notes.pdf")
        md = (folder / "report.md").read_text()
        paper, slides = pdf_text(folder / "paper.pdf")[1], pdf_text(folder / "slides.pdf")[1]
        first, second = name in ("first", "all"), name in ("second", "all")
        # the at-final lane's random nets answer the first question at the final model's latency too
        assert bool(re.search(r"Did\s+NAS\s+find\s+a\s+better\s+model\?", paper)) == (first or second), name
        assert bool(re.search(r"At\s+the\s+final\s+model.s\s+latency\s+the\s+same\s+search", paper)) == second, name
        assert ("Beyond a smaller architecture: the final model is" in md) == second, name
        assert ("trained no control of this question" in md) == (name == "second"), name
        assert bool(re.search(r"trained\s+no\s+control\s+that\s+can\s+say", paper)) == (not second), name
        assert pdf_text(folder / "slides.pdf")[0] >= 10 and pdf_text(folder / "paper.pdf")[0] <= 8, name


def test_the_reports_config_loads_back_through_the_schema(run):
    """The config the report prints nests as a config file does: copied into one, over the workflow's
    defaults, the schema takes it."""
    import yaml

    from edgenas.plan import config_problems

    workdir, _ = run
    md = (workdir / "results/report/report.md").read_text()
    block = md.split("The config of this run:", 1)[1].split("```", 2)[1].removeprefix("yaml\n")
    printed = yaml.safe_load(block)
    assert set(printed["search"]) == {"space", "hardware_aware"} and "halving" in printed["search"]["hardware_aware"]
    def merged(base, over):
        return {k: merged(base[k], v) if isinstance(v, dict) and isinstance(base.get(k), dict) else v
                for k, v in {**base, **over}.items()} if isinstance(over, dict) else over

    config = dict(merged(yaml.safe_load((REPO / "config/config.yaml").read_text()), printed), data_root="anywhere")
    assert config_problems(config, yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())) == []


def test_report_has_every_section_and_the_search_figures(run):
    from PIL import Image

    workdir, _ = run
    md = (workdir / "results/report/report.md").read_text()
    for section in ["1. The NAS method", "2. The searched architecture", "3. The compression pipeline",
                    "4. Results", "5. Analysis", "6. Setup", "Did NAS help?", "What did compression add?"]:
        assert f" {section}\n" in md, section
    for figure in ("architecture", "population", "latency_check"):
        assert Image.open(workdir / f"results/figures/{figure}.png").size[0] > 200
        assert f"(../figures/{figure}.png)" in md
    geno = json.loads((workdir / "results/search/genotype.json").read_text())
    assert f"{geno['search']['seconds']} s wall time" in md


def pdf_text(path) -> tuple[int, str]:
    from pypdf import PdfReader

    pages = PdfReader(str(path)).pages
    return len(pages), " ".join(page.extract_text() for page in pages)


def test_paper_and_slides_state_the_runs_numbers_in_english_and_vietnamese(run, tmp_path):
    """paper.pdf: 6-8 A4 pages; slides.pdf: 10-16 slides; both carry the run's headline numbers in
    their text layer, and the Vietnamese rendering its diacritics and decimal commas."""
    from edgenas.deliverables.facts import study_facts, write_facts
    from edgenas.deliverables.numbers import ms, pct
    from edgenas.deliverables.publish import publish

    workdir, data = run
    r = workdir / "results"
    pages, text = pdf_text(r / "report/paper.pdf")
    slides, slide_text = pdf_text(r / "report/slides.pdf")
    assert 6 <= pages <= 8 and 10 <= slides <= 16, (pages, slides)
    study = smoke_study(workdir)
    headline = study.headline()
    for number in (pct(headline["final_accuracy"]), ms(headline["final_ms"]), ms(headline["baseline_ms"])):
        assert number in text, number
    assert "Abstract" in text and "References" in text and "wiring check" in text  # the smoke run says what it is
    assert re.search(r"Successive\s+halving", text) and re.search(r"lucky\s+draw", text)  # strategy; 2 random nets
    assert ms(headline["final_ms"]) in slide_text
    assert_one_page_per_slide(r / "report/slides.pdf", r / "report/slides_notes.pdf")

    write_facts(study_facts(study, lang="vi", run_times=[], front={"title": None, "authors": [], "course": None}),
                tmp_path / "facts.json")
    publish(tmp_path / "facts.json", figures_dir=r / "figures", templates=[TEMPLATES], paper_dir=tmp_path / "paper",
            slides_dir=tmp_path / "slides", paper_pdf=tmp_path / "paper_vi.pdf", slides_pdf=tmp_path / "slides_vi.pdf",
            notes_pdf=tmp_path / "notes_vi.pdf")
    pages, text = pdf_text(tmp_path / "paper_vi.pdf")
    assert 6 <= pages <= 8 and "Tóm tắt" in text and "độ chính xác" in text and "Tài liệu tham khảo" in text
    assert re.search(r"Chia\s+đôi\s+liên\s+tiếp", text) and re.search(r"lần\s+rút\s+may\s+mắn", text)
    assert pct(headline["final_accuracy"], "vi") in text  # numbers with a decimal comma
    assert "Câu hỏi" in pdf_text(tmp_path / "slides_vi.pdf")[1]
    assert_one_page_per_slide(tmp_path / "slides_vi.pdf", tmp_path / "notes_vi.pdf")


def assert_one_page_per_slide(slides_pdf, notes_pdf) -> int:
    """Every slide fits its page, with its title on that page; the speaker notes are numbered like the
    slides, one for one (note n opens with slide n's title). Returns the slide count."""
    import pypdf

    def words(text: str) -> list[str]:
        return re.sub(r"-\s+", "", text).split()

    pages = [" ".join(words(p.extract_text())) for p in pypdf.PdfReader(slides_pdf).pages]
    notes = "\n".join(p.extract_text() for p in pypdf.PdfReader(notes_pdf).pages)
    at = 0
    for n, page in enumerate(pages, start=1):
        found = re.compile(rf"^{n}\. (.+)$", re.M).search(notes, at)
        assert found, (n, "no note for this slide", page[:80])
        at = found.end()
        title = words(found.group(1))[:3]  # the note's first line opens with the slide's title
        assert " ".join(title) in page, (n, title, page[:200])
    assert not re.compile(rf"^{len(pages) + 1}\. ", re.M).search(notes, at), "a note without its slide"
    return len(pages)


TEMPLATES = REPO / "report/templates"


def smoke_study(workdir, benches=("local",), bench_csvs=None):
    """The smoke run's study, with the config it ran with, its figures and its evaluations' per-image flags
    (``bench_csvs``: other benchmark files than the run's, e.g. cut to some controls)."""
    import yaml

    from edgenas.deliverables.study import Study

    r = workdir / "results"
    settings = yaml.safe_load((REPO / "config/config.yaml").read_text())
    for section, values in yaml.safe_load((REPO / "config/presets/smoke.yaml").read_text()).items():
        settings[section] = {**settings[section], **values} if isinstance(values, dict) else values
    figures = {p.stem if p.parent.name == "figures" else f"local/{p.stem}": str(p) for p in (r / "figures").rglob("*.png")}
    evaluations = {}
    for path in (r / "eval").glob("*.onnx.json"):
        stem = path.name.removesuffix(".onnx.json")
        nas = {"baseline": "baseline", "pruned": "pruned", "finetuned": "finetuned", "int8": "int8",
               "baseline_int8": "baseline_int8"}
        model, stage = (("nas", nas[stem]) if stem in nas else
                        (stem.removeprefix("control_").removesuffix("_int8"),
                         "baseline_int8" if stem.endswith("_int8") else "baseline"))
        evaluations[f"{model}/{stage}"] = str(path)
    return Study.read(bench_csvs=bench_csvs or [r / f"bench_{b}.csv" for b in benches],
                      search_result=r / "search/genotype.json", evaluations=evaluations,
                      latency_table=r / "latency/local.json", prune_json=r / "models/prune.json",
                      stats_json=workdir / "resources/data/stats.json", settings=settings, figures=figures,
                      train_history=r / "models/baseline_history.csv",
                      control_histories={p.name.removeprefix("control_").removesuffix("_history.csv"): str(p)
                                         for p in (r / "models").glob("control_*_history.csv")},
                      final_budget=r / "search/final_budget.json", search_at_final=r / "search/genotype_at_final.json")


def test_one_run_writes_both_languages_and_vietnamese_reaches_the_report_the_figures_and_the_video(run, tmp_path):
    """report.language: [en, vi] keeps the English deliverables and adds the Vietnamese ones beside them
    (results/vi/: figures, facts, report, paper, slides, video), rerunning nothing else; report.html is
    Vietnamese there (headings, table labels, decimal commas), and so are the video's cards."""
    import shutil

    import cv2

    from edgenas.deliverables.summary import run_summary
    from edgenas.records import read_json
    from edgenas.words import load_words

    workdir, data = run
    copy = tmp_path / "run"
    shutil.copytree(workdir, copy, symlinks=True)
    both = ["--config", *data, "report={language: [en, vi]}"]
    planned = planned_rules((out := snakemake(copy, "-n", *both)).stdout + out.stderr)
    assert set(planned) == {"target_figures_vi", "search_figures_vi", "training_curves_vi", "facts_vi",
                            "results_report_vi", "demo_vi", "all"}, planned
    snakemake(copy, *both)
    english = (copy / "results/report/report.html").read_text()
    assert english == (workdir / "results/report/report.html").read_text()
    html = (copy / "results/vi/report/report.html").read_text()
    assert "<html lang='vi'>" in html
    for words in ("1. Phương pháp NAS", "NAS có giúp ích không?", "độ chính xác (%)", "độ trễ p50 (ms)"):
        assert words in html, words
    for english_words in ("1. The NAS method", "Did NAS help?", "accuracy (%)", "latency p50 (ms)"):
        assert english_words not in html, english_words
    assert re.search(r"<td>\d+,\d{2}</td>", html)  # numbers with a decimal comma
    for pdf in ("paper.pdf", "slides.pdf", "slides_notes.pdf"):
        assert (copy / "results/vi/report" / pdf).stat().st_size > 0 and (copy / "results/report" / pdf).is_file()
    assert "lần chạy đã hoàn tất" in run_summary(read_json(copy / "results/vi/report/facts.json"), load_words("vi"))
    assert "Nothing to be done" in (out := snakemake(copy, "-n", *both)).stdout + out.stderr

    def first_frame(path):
        ok, frame = cv2.VideoCapture(str(path)).read()
        assert ok
        return frame

    en, vi = (first_frame(copy / d / "demo/demo.mp4") for d in ("results", "results/vi"))
    assert en.shape == vi.shape and (en != vi).any()  # the opening card's words


def test_the_paper_rebuilds_by_hand_from_its_folder(run, tmp_path):
    """results/report/paper/ holds all its sources: moved elsewhere and edited, `edgenas typeset`
    rebuilds it, with the run's numbers and the edit."""
    import shutil

    workdir, _ = run
    folder = shutil.copytree(workdir / "results/report/paper", tmp_path / "paper")
    assert {p.name for p in folder.iterdir()} >= {"main.typ", "edgenas.typ", "facts.json", "figures"}
    main = folder / "main.typ"
    main.write_text(main.read_text().replace("= Introduction", "= Introduction\nA sentence the student added by hand.\n"))
    out = subprocess.run([sys.executable, "-m", "edgenas.cli", "typeset", str(folder)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    pages, text = pdf_text(tmp_path / "paper.pdf")
    assert 6 <= pages <= 8 and "A sentence the student added by hand." in text
    assert json.loads((folder / "facts.json").read_text())["paper"]["v"]["final_accuracy"] in text
    out = subprocess.run([sys.executable, "-m", "edgenas.cli", "typeset", str(tmp_path)], capture_output=True, text=True)
    assert out.returncode != 0 and "no main.typ" in out.stderr


def test_report_templates_setting_typesets_the_students_own_copy(run, tmp_path):
    """report.templates names an edited copy of the templates (a changed sentence) and
    report.authors adds a name: both are in the PDF the workflow writes; nothing else reruns."""
    import shutil

    workdir, data = run
    copy = tmp_path / "run"
    shutil.copytree(workdir, copy, symlinks=True, ignore=shutil.ignore_patterns("report.html"))
    mine = tmp_path / "my_report"
    mine.mkdir()
    paper = (TEMPLATES / "paper.en.typ").read_text()
    sentence = "Edge deployment asks two questions of neural architecture search (NAS)"
    assert sentence in paper
    (mine / "paper.en.typ").write_text(paper.replace(sentence, "Our course asked us two questions about NAS"))
    config = ["--config", *data, f"report={{templates: {mine}, authors: [Nguyễn Văn An], course: Tính toán biên}}"]
    planned = planned_rules((out := snakemake(copy, "-n", *config)).stdout + out.stderr)
    assert set(planned) == {"facts", "results_report", "all"}, planned
    snakemake(copy, *config)
    text = " ".join(pdf_text(copy / "results/report/paper.pdf")[1].split())
    assert "Our course asked us two questions about NAS" in text and sentence not in text
    assert "Nguyễn Văn An" in text and "Tính toán biên" in text
    assert "Nguyễn Văn An" in pdf_text(copy / "results/report/slides.pdf")[1]  # the slides' title block too
    (mine / "paper.en.typ").write_text(paper.replace(sentence, "A second edit"))
    assert set(planned_rules((out := snakemake(copy, "-n", *config)).stdout + out.stderr)) == {"results_report", "all"}
    out = snakemake(copy, "-n", "--config", *data, "report={templates: /no/such/folder}", check=False)
    assert out.returncode != 0 and "report.templates" in out.stdout + out.stderr


def test_no_sentence_of_the_paper_or_the_report_is_left_in_python():
    """The words live in the templates: no sentence of them (20+ characters of prose) is in a string
    of the code in src/ (docstrings and comments, which describe the code, aside)."""
    import ast

    strings = []
    for path in (REPO / "src").rglob("*.py"):
        tree = ast.parse(path.read_text())
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))
                      and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
        strings += [n.value for n in ast.walk(tree)
                    if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings]
    sources = "\n".join(strings)
    sentences = []
    for name in ("paper.en.typ", "paper.vi.typ", "slides.en.typ", "slides.vi.typ", "report.en.md.j2", "report.vi.md.j2"):
        for line in (TEMPLATES / name).read_text().splitlines():
            if line.startswith(("#", "//", "{", "+", "|", "!")):
                continue
            sentences += [s.strip() for s in re.split(r"[#{]|[.;:] ", line) if len(s.strip()) >= 20]
    assert len(sentences) > 100
    left = [s for s in sentences if s in sources]
    assert not left, left[:5]


def test_disabling_controls_removes_their_rules(run, tmp_path):
    _, data = run
    on = planned_rules(snakemake(tmp_path, "-n", "--config", *data).stdout)
    off = planned_rules(snakemake(tmp_path, "-n", "--config", *data, "controls={models: []}").stdout)
    assert on["train_control"] == 9 and "train_control" not in off  # 2 + 2 random nets, 3 hand-made, 2 of compression
    assert on["export_onnx"] == off["export_onnx"] + 9 and on["quantize"] == off["quantize"] + 9
    lane = {"search_at_final", "final_budget", "latency_at_final", "budget_at_final"}
    assert all(on[rule] == 1 for rule in lane) and not lane & set(off)


def test_demo_video_has_every_frame(run):
    import cv2
    import numpy as np

    from edgenas.data import load_test_subset

    workdir, _ = run
    summary = json.loads((workdir / "results/demo/summary.json").read_text())
    cap = cv2.VideoCapture(str(workdir / "results/demo/demo.mp4"))
    assert summary["frames"] == 20 and int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 10 + 20 + 10  # two 1 s cards
    assert cap.get(cv2.CAP_PROP_FPS) == 10
    test = load_test_subset(workdir / "resources/data/test.npz", seed=0, limit=256)  # the smoke preset's test subset
    truth = [test.classes[y] for y in test.y[:20]]
    assert summary["accuracy"] == np.mean([p == c for p, c in zip(summary["predictions"], truth)])
    assert int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)) == 256
    assert summary["inference_ms_p50"] > 0 and summary["end_to_end_fps"] > 0
    assert summary["codec"] == "h264" and "predictions" in summary  # what browsers and slides play


def test_second_dry_run_has_nothing_to_do(run):
    workdir, data = run
    out = snakemake(workdir, "-n", "--config", *data)
    assert "Nothing to be done" in out.stdout + out.stderr


DOWNSTREAM_OF_TEST_SET = {"evaluate", "bench", "target_figures", "facts", "results_report", "demo", "edge_bundle", "all"}
# the final model's latency is timed beside the lane's plan
DOWNSTREAM_OF_PRUNE = {"prune", "finetune", "export_onnx", "quantize", "evaluate", "bench", "target_figures",
                       "training_curves", "facts", "results_report", "demo", "edge_bundle", "all", "final_budget"}
# the at-final lane: what the pruned shape plans, and the controls trained at it
PLANNED = {"budget_at_final"}
AT_FINAL = PLANNED | {"search_at_final", "train_control", "export_onnx", "quantize", "training_curves"}


@pytest.mark.parametrize("change,expected", [
    ({"data": {"test_limit": 100}}, DOWNSTREAM_OF_TEST_SET),
    ({"bench": {"device_images": 7}}, set()),  # only remote targets measure a device sample
    ({"edge_bundle": {"sample_images": 5}}, {"edge_bundle", "all"}),
    ({"demo": {"frames": 10}}, {"demo", "all"}),
    # the share pruned is the at-final space's: its table is timed again
    ({"prune": {"ratio": 0.3}}, DOWNSTREAM_OF_PRUNE | AT_FINAL | {"latency_at_final"}),
    # the importance ranks channels, not how many each group keeps: the lane's plan stands
    ({"prune": {"importance": "l1"}}, DOWNSTREAM_OF_PRUNE),
    ({"train": {"epochs": 2}}, DOWNSTREAM_OF_PRUNE | {"train", "train_control"}),  # the search trains one epoch
    # the halving search trains with the recipe: its label smoothing changes what the search measures
    ({"train": {"label_smoothing": 0.2}}, DOWNSTREAM_OF_PRUNE | AT_FINAL | {"search", "search_figures", "train"}),
    # the calibration method changes scales, not kernels: the latency tables (and so the searches) stay, and the
    # lane's budget, planned on the pruned shape, does not wait for the final model
    ({"quantize": {"calibration_method": "percentile"}}, DOWNSTREAM_OF_TEST_SET | {"quantize", "final_budget"}),
    # 8-bit weights run other kernels: the latency tables are timed again, and all that follows from them
    ({"quantize": {"reduce_range": False}}, DOWNSTREAM_OF_PRUNE | AT_FINAL | {
        "latency", "latency_at_final", "budget", "search", "search_figures", "train"}),
    ({"search": {"darts": {"width": 6}}}, set()),  # the other space's settings are not read
])
def test_a_change_reruns_exactly_what_uses_it(run, change, expected):
    """Each rule sees only the config it uses: after a finished run, a changed key reruns the
    rules that read it and everything downstream of their outputs, nothing else."""
    workdir, data = run
    config = {"data_root": data[0].split("=", 1)[1], "data": {"dataset": "imagefolder"}}
    for section, values in change.items():
        config[section] = {**config.get(section, {}), **values}
    items = [f"{k}={v}" if isinstance(v, str) else f"{k}={json.dumps(v)}" for k, v in config.items()]
    out = snakemake(workdir, "-n", "--config", *items)
    assert set(planned_rules(out.stdout + out.stderr)) == expected
    if change == {"quantize": {"calibration_method": "percentile"}}:
        # the INT8 files (the NAS net's two, the 9 controls'): no control is trained again
        assert planned_rules(out.stdout + out.stderr)["evaluate"] == 2 + 9


def test_snakemake_report(run):
    workdir, data = run
    snakemake(workdir, "--report", str(workdir / "report.html"), "--config", *data)
    assert (workdir / "report.html").stat().st_size > 10_000


def test_unknown_or_ill_typed_key_fails_at_start(tmp_path):
    """One line per problem, naming the dotted key, with a guess at the key meant and no schema or config
    dump; jsonschema's full report goes to logs/config.log."""
    out = snakemake(tmp_path, "-n", "--config", "prune={ratio: 0.5, criterion: l1}", check=False)
    assert out.returncode != 0 and "prune.criterion: unknown key; the keys here:" in out.stdout + out.stderr
    out = snakemake(tmp_path, "-n", "--config", "train={epochs: many}", "quantize={format: qdqq}", check=False)
    text = out.stdout + out.stderr
    assert out.returncode != 0 and "train.epochs: 'many' is not of type 'integer'" in text
    assert "quantize.format: 'qdqq' is not one of qdq, qoperator" in text
    assert len(text.splitlines()) < 20 and "properties" not in text, text
    assert "'many' is not of type 'integer'" in (tmp_path / "logs/config.log").read_text()
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize("mistake,says", [
    ("data_root={root}x", "data_root: '{root}x' does not exist; did you mean '{root}'?"),
    ("search={{hardware_aware: {{latency_ms: 0.001}}}}", "search.hardware_aware.latency_ms: 0.001 ms is below what"),
    ("prune={{ratoi: 0.3}}", "prune.ratoi: unknown key; did you mean prune.ratio?"),
    ("data_rot={root}", "data_rot: unknown key; did you mean data_root?"),
])
def test_a_mistaken_command_throws_away_no_finished_work(run, mistake, says):
    """On a finished run, a misspelt data_root, a latency budget the space cannot reach and misspelt keys
    are each refused in one screen before any job runs (so a dry run refuses them too), and the run's
    own command then has nothing to do: Snakemake deleted nothing."""
    workdir, data = run
    root = data[0].split("=", 1)[1]
    for dry in (["-n"], []):
        out = snakemake(workdir, *dry, "--config", *data, mistake.format(root=root), check=False)
        text = out.stdout + out.stderr
        assert out.returncode != 0 and says.format(root=root) in text, text[-2000:]
        assert "refused before any job runs" in text and len(text.splitlines()) < 20, text
    out = snakemake(workdir, "-n", "--config", *data)
    assert "Nothing to be done" in out.stdout + out.stderr


def test_nested_config_values_keep_their_types(tmp_path):
    # Snakemake passes nested --config values as strings; the workflow types them by the schema
    (tmp_path / "resources/cifar10/cifar-10-batches-py").mkdir(parents=True)  # a copy on disk: no download
    out = snakemake(tmp_path, "-n", "--config", "prune={ratio: 0.3}", "data={download: false}",
                    "controls={models: [random], random_seeds: [1, 2]}")
    assert planned_rules(out.stdout)["train_control"] == 2


def test_missing_graphviz_stops_a_real_run_not_a_dry_run(imagefolder, tmp_path):
    """Without graphviz's dot a dry run and --lint still work; a real run stops before any job."""
    import os
    import shutil

    bin_dir = tmp_path / "bin"  # this machine's programs, less dot
    bin_dir.mkdir()
    for folder in os.environ["PATH"].split(os.pathsep):
        for program in Path(folder).glob("*") if Path(folder).is_dir() else []:
            if program.name != "dot" and not (bin_dir / program.name).exists():
                (bin_dir / program.name).symlink_to(program)
    assert shutil.which("dot", path=str(bin_dir)) is None
    workdir = tmp_path / "run"
    cmd = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "-d", str(workdir), "--cores", "1",
           "--configfile", str(REPO / "config/presets/smoke.yaml"), "--config", f"data_root={imagefolder}",
           "data={dataset: imagefolder}"]
    env = dict(os.environ, PATH=str(bin_dir))
    assert subprocess.run([*cmd, "-n"], capture_output=True, text=True, env=env).returncode == 0
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert out.returncode != 0 and "graphviz's 'dot' is not on PATH" in out.stdout + out.stderr
    assert not (workdir / "resources").exists() and not (workdir / "results").exists()


def test_an_undeclared_target_is_named_with_the_declared_ones(run):
    """A real run and a dry run refuse it alike, naming the declared targets."""
    workdir, data = run
    for dry in ((), ("-n",)):
        out = snakemake(workdir, "results/bench_pi9.csv", *dry, "--config", *data, check=False)
        text = out.stdout + out.stderr
        assert out.returncode != 0 and "'pi9' is not a declared target; the declared ones are local, pi5" in text
        assert "config/targets/<name>.yaml" in text
    assert not (workdir / "results/bench_pi9.csv").exists()


def test_lint_is_clean():
    out = subprocess.run([sys.executable, "-m", "snakemake", "--lint", "-s", str(REPO / "Snakefile")],
                         capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0 and "Lints for" not in out.stdout + out.stderr, out.stdout + out.stderr


def test_ssh_target_end_to_end(run, sshd, tmp_path):
    import pandas as pd
    import yaml

    workdir, data = run
    settings = {k: v for k, v in sshd.items() if not k.startswith("_")}
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(yaml.safe_dump({"targets": {"dev": settings}}))
    bad.write_text(yaml.safe_dump({"targets": {"dev": dict(settings, known_hosts=str(sshd["_dir"] / "empty_known_hosts"))}}))

    out = snakemake(workdir, "results/bench_dev.csv", "--resources", "pi=1", "--config", *data,
                    configfiles=[bad], check=False)
    assert out.returncode != 0 and not (workdir / "results/bench_dev.csv").exists()
    assert "host key is unknown" in (workdir / "logs/check_target/dev.log").read_text()  # checked first

    snakemake(workdir, "results/bench_dev.csv", "--resources", "pi=1", "--config", *data, configfiles=[good])
    local = pd.read_csv(workdir / "results/bench_local.csv")
    local = local[local["format"].str.startswith("onnx")]  # PyTorch eager rows are this machine's only
    dev = pd.read_csv(workdir / "results/bench_dev.csv")
    assert list(dev.columns) == list(local.columns)
    assert list(zip(dev.model, dev.stage)) == list(zip(local.model, local.stage)) and set(dev.target) == {"dev"}
    assert (dev.peak_fraction > 0).all()
    # the device measured its own accuracy, on a sample that here covers the whole test set
    assert list(dev.accuracy) == list(local.accuracy) and (dev.latency_ms_p50 > 0).all()
    assert list((sshd["_dir"] / "remote").iterdir()) == []

    # the target's latency table, timed on the device by the same program and transport
    from edgenas.search.latency import read_latency_table

    snakemake(workdir, "results/latency/dev.json", "--resources", "pi=1", "--config", *data, configfiles=[good])
    remote, local_table = (read_latency_table(workdir / f"results/latency/{t}.json") for t in ("dev", "local"))
    assert remote.target == "dev" and set(remote.layers) == set(local_table.layers)
    assert remote.system["onnxruntime"] and len(remote.checks["nets"]) == len(local_table.checks["nets"])
    assert list((sshd["_dir"] / "remote").iterdir()) == []
    # the local artifacts were not touched: nothing else is stale
    out = snakemake(workdir, "-n", "--config", *data)
    assert "Nothing to be done" in out.stdout + out.stderr


def emulated_target(workdir, sshd, python, name, cpu, images, tmp_path):
    """A config file declaring ``name``, the emulated ``cpu`` over the tests' sshd, measuring
    accuracy on ``images`` test images; the run's emulator folder is the fixture's build (a rule
    builds it where there is none)."""
    import yaml

    emulator = workdir / "resources/emulator"
    if not emulator.exists():
        emulator.parent.mkdir(exist_ok=True)
        emulator.symlink_to(python.parent.parent, target_is_directory=True)
    settings = {k: v for k, v in sshd.items() if not k.startswith("_") and k != "python"}
    target = tmp_path / f"{name}.yaml"
    target.write_text(yaml.safe_dump({"targets": {name: dict(settings, emulate=cpu, warmup=1, runs=3,
                                                               device_images=images)}}))
    return target


def test_emulated_arm_target_end_to_end(run, sshd, arm_python, tmp_path):
    """config/targets/pi5emu.yaml's kind of target over the tests' sshd: the unchanged device program
    on ARM64 kernels (QEMU Cortex-A76), every stage's accuracy beside this machine's, latencies marked
    emulated; the report sets the accuracies side by side and plots no emulated latency."""
    import pandas as pd

    from edgenas.deliverables.facts import study_facts
    from edgenas.deliverables.report import render

    workdir, data = run
    # FP32 runs on QEMU's software floating point (~40 MMAC/s): a small sample keeps the test short
    target = emulated_target(workdir, sshd, arm_python, "emu", "cortex-a76", 16, tmp_path)
    snakemake(workdir, "results/bench_emu.csv", "--resources", "pi=1", "--config", *data, configfiles=[target])

    local = pd.read_csv(workdir / "results/bench_local.csv")
    local = local[local["format"].str.startswith("onnx")]
    emu = pd.read_csv(workdir / "results/bench_emu.csv")
    assert list(emu.columns) == list(local.columns) and emu.emulated.all() and not local.emulated.any()
    assert list(zip(emu.model, emu.stage)) == list(zip(local.model, local.stage))
    assert emu.os.str.contains("aarch64").all() and not local.os.str.contains("aarch64").any()
    assert (emu.cpu == "QEMU-emulated cortex-a76 (aarch64)").all() and emu.peak_gmacs_per_s.isna().all()
    assert (emu.test_images == 16).all()  # host_accuracy: the same files on the same 16 images here
    fp32 = emu["format"] == "onnx-fp32"
    assert (emu.accuracy[fp32] == emu.host_accuracy[fp32]).all()
    # 7-bit weights (the default): ARM's dot-product kernels predict every image as this machine does
    assert (emu.host_agreement == 1.0).all(), emu[["model", "stage", "accuracy", "host_accuracy", "host_agreement"]]
    assert list((sshd["_dir"] / "remote").iterdir()) == []

    study = smoke_study(workdir, benches=("local", "emu"))
    assert study.targets == ["local"] and [b.target.iloc[0] for b in study.emulated] == ["emu"]
    facts = study_facts(study, lang="en", run_times=[], front={"title": None, "authors": [], "course": None})
    (tmp_path / "report").mkdir()  # beside results/figures, as the workflow writes it
    (tmp_path / "figures").symlink_to(workdir / "results/figures")
    render(facts, templates=[TEMPLATES], html_path=tmp_path / "report/report.html", md_path=tmp_path / "report/report.md")
    md = (tmp_path / "report/report.md").read_text()
    emulated_section = md.split("### Target: emu (emulated: accuracy only)", 1)[1].split("\n#", 1)[0]
    assert "accuracy on emu (%)" in emulated_section and "difference (points)" in emulated_section
    assert "latency" not in emulated_section.split("|", 1)[1]  # its table has no latency column
    assert "#### emu" not in md  # nor a verdict drawn on its latencies
    # an emulated target is not a search target: its latency means nothing
    out = snakemake(workdir, "-n", "--config", *data, "search={hardware_aware: {target: emu}}", configfiles=[target],
                    check=False)
    assert out.returncode != 0 and "'emu' is emulated" in out.stdout + out.stderr
    out = snakemake(workdir, "-n", "--config", *data, configfiles=[target])
    assert "Nothing to be done" in out.stdout + out.stderr


def test_emulated_x86_without_vnni_predicts_as_this_machine(run, sshd, haswell_python, tmp_path):
    """config/targets/x86avx2emu.yaml's kind of target over the tests' sshd: the device program on
    a Haswell's AVX2 kernels (u8 x s8 pairs into saturating 16-bit lanes). The deployed INT8 files,
    quantized with the default 7-bit weights, predict every sample image as this machine does; the
    rows name the emulated ISA."""
    import pandas as pd
    import yaml

    workdir, data = run
    shipped = yaml.safe_load((REPO / "config/targets/x86avx2emu.yaml").read_text())
    target = emulated_target(workdir, sshd, haswell_python, "avx2", shipped["emulate"], 64, tmp_path)
    snakemake(workdir, "results/bench_avx2.csv", "--config", *data, configfiles=[target])

    emu = pd.read_csv(workdir / "results/bench_avx2.csv")
    assert emu.emulated.all() and (emu.isa == "x86-avx2").all() and (emu.test_images == 64).all()
    int8 = emu["format"] == "onnx-int8"
    assert int8.sum() >= 3  # the final model and every trained net's INT8 baseline
    assert (emu.host_agreement[int8] == 1.0).all(), emu[["model", "stage", "accuracy", "host_accuracy"]]
    assert (emu.accuracy == emu.host_accuracy).all()


def test_slurm_profile_sends_only_gpu_rules_to_the_cluster(tmp_path):
    """The paper preset through profiles/slurm: search, train, finetune and the controls ask SLURM
    for a GPU; every other rule is a localrule and asks for none."""
    cmd = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "-d", str(tmp_path), "-n",
           "--workflow-profile", str(REPO / "profiles/slurm"), "--configfile", str(REPO / "config/presets/paper.yaml")]
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout + result.stderr
    jobs = re.findall(r"^rule (\w+):\n(?:    .*\n)*?    resources: (.*)$", out, re.M)
    resources = {rule: res for rule, res in jobs}
    gpu_rules = {"search", "train", "finetune", "train_control"}
    assert gpu_rules <= set(resources)
    for rule, res in resources.items():
        assert ("gpu=1" in res) == (rule in gpu_rules), (rule, res)
    assert "runtime=4320" in resources["train"]
    assert set(resources) - gpu_rules <= local_rules() and not gpu_rules & local_rules()
    assert "latency" not in resources  # the paper preset searches DARTS cells, which need no latency table


def local_rules() -> set[str]:
    """Rules marked ``localrule: True`` in the Snakefile and the rule files."""
    local = set()
    for path in [REPO / "Snakefile", *sorted((REPO / "workflow/rules").glob("*.smk"))]:
        for block in re.split(r"^ *rule\b", path.read_text(), flags=re.M)[1:]:
            # rule NAME: or, for the deliverables written per language, rule: name: RUN.named("NAME", LANG)
            name = re.match(r' *(\w+)?:(?:\s*name: RUN\.named\("(\w+)")?', block)
            if re.search(r"^ *localrule: True$", block, re.M):
                local.add(name.group(1) or name.group(2))
    return local


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    from slurm_cluster import Unavailable, cluster

    try:
        with cluster(tmp_path_factory.mktemp("slurm")) as c:
            yield c
    except Unavailable as err:
        unavailable("slurm", str(err))


def test_smoke_preset_through_a_real_slurm_cluster(run, slurm, tmp_path):
    """profiles/slurm for real, on a one-node cluster, up to the benchmark (every rule the cluster
    could take; figures, report and video are local rules, run by the local smoke run): search,
    training, fine-tuning and the controls run as SLURM jobs, every other rule where snakemake
    runs, and the results are the local smoke run's: the same search pick, the same trained weights,
    the same accuracies. Two things are held alike to make that so: the jobs' threads (a training's
    float sums depend on them) and the latency table, copied from the local run (it is a timing, so
    a second one differs in its last digits, and with it the budget and the nets drawn under it).
    Latencies are timings and are not compared. Two of the smoke preset's five controls: each one
    more is another job of the same rule, and the local smoke run trains them all."""
    import shutil
    import time

    import pandas as pd
    import torch

    from edgenas.model import load_checkpoint

    local_dir, data = run
    for shared in ("resources/data", "results/latency", "results/checks"):
        shutil.copytree(local_dir / shared, tmp_path / shared)
    heavy = ("search", "train", "finetune", "train_control")
    threads = {"search": 2, "train": 1, "finetune": 1, "train_control": 1}  # the local run's on its 2 cores
    overrides = ["--default-resources", "runtime=30", "mem_mb=1000", f"slurm_partition={slurm['partition']}",
                 "--set-resources", *[f"{r}:{k}={v}" for r in heavy for k, v in (("gpu", 0), ("mem_mb", 2000))],
                 "--set-threads", *[f"{r}={n}" for r, n in threads.items()],
                 "--slurm-status-command", "squeue", "--slurm-init-seconds-before-status-checks", "5"]
    cmd = [sys.executable, "-m", "snakemake", "results/bench_local.csv", "-s", str(REPO / "Snakefile"),
           "-d", str(tmp_path), "--workflow-profile", str(REPO / "profiles/slurm"), "--cores", "2", *overrides,
           "--configfile", str(REPO / "config/presets/smoke.yaml"), "--config", *data,
           "controls={models: [random, resnet20], random_seeds: [1]}"]
    start = time.time()
    out = subprocess.run(cmd, capture_output=True, text=True, env=slurm["env"], timeout=SMOKE_LIMIT_S)
    text = out.stdout + out.stderr
    assert out.returncode == 0, text[-6000:]
    print(f"SLURM smoke run: {time.time() - start:.0f} s")
    submitted = re.findall(r"Job \d+ has been submitted with SLURM jobid (\d+)", text)
    rules = re.findall(r"^rule (\w+):$", text, re.M)  # jobs sent to the cluster print 'rule', local ones 'localrule'
    print("SLURM job ids:", submitted, "rules on the cluster:", sorted(set(rules)))
    assert sorted(set(rules)) == sorted(heavy) and len(submitted) == len(rules) == 1 + 1 + 1 + 2  # 2 controls
    assert "localrule bench:" in text and "localrule quantize:" in text
    assert "localrule latency:" not in text  # the copied table is the local run's
    history = subprocess.run(["squeue", "-h", "-t", "all", "-o", "%i %j %T"], capture_output=True, text=True,
                             env=slurm["env"]).stdout.split("\n")
    seen = {line.split()[0]: line.split()[2] for line in history if line.strip()}
    assert set(submitted) <= set(seen) and {seen[j] for j in submitted} == {"COMPLETED"}

    # the same search pick, the same weights, the same accuracies as the local run
    picks = [json.loads((d / "results/search/genotype.json").read_text())["arch"] for d in (tmp_path, local_dir)]
    assert picks[0] == picks[1]
    for name in ("baseline.pt", "pruned.pt", "finetuned.pt", "control_random1.pt", "control_resnet20.pt"):
        ours, theirs = (load_checkpoint(d / "results/models" / name)[0].state_dict() for d in (tmp_path, local_dir))
        assert ours.keys() == theirs.keys() and all(torch.equal(ours[k], theirs[k]) for k in ours), name
    ours, theirs = (pd.read_csv(d / "results/bench_local.csv").set_index(["model", "stage", "format", "threads"])
                    for d in (tmp_path, local_dir))
    assert len(ours) >= 10 and (ours.accuracy == theirs.accuracy.loc[ours.index]).all()


def read_by_the_templates() -> dict[str, set[str]]:
    """Every key the paper's and slides' templates read (``f.``, ``is.``, ``tables.``, a compression
    control's fields, the at-final random test's), and every top-level key the reports read."""
    from jinja2 import meta

    from edgenas.deliverables.report import environment

    typ = " ".join((TEMPLATES / n).read_text() for n in ("paper.en.typ", "paper.vi.typ", "slides.en.typ",
                                                          "slides.vi.typ"))
    env = environment([TEMPLATES])
    sources = [(TEMPLATES / n).read_text() for n in ("report.en.md.j2", "report.vi.md.j2")]
    local = {m for s in sources for m in re.findall(r"{%-?\s*(?:set|for)\s+(\w+)", s)}  # the templates' own names
    local |= {p.strip() for s in sources for args in re.findall(r"{%-?\s*macro\s+\w+\(([^)]*)\)", s) for p in args.split(",")}
    report = set().union(*(meta.find_undeclared_variables(env.parse(s)) for s in sources)) - local
    return {"v": set(re.findall(r"\bf\.(\w+)", typ)), "flag": set(re.findall(r"\bis\.(\w+)", typ)),
            "tables": set(re.findall(r"\btables\.(\w+)", typ)),
            "compression": set(re.findall(r"\bx\.(\w+)", typ)) | set(re.findall(r"\bcomp\.\w+\.(\w+)", typ)),
            "random_at_final": set(re.findall(r"\brf\.(\w+)", typ)),
            "report": report - {"figures", "available"}}  # render passes those two beside the facts


def produced_by_facts(facts: dict) -> dict[str, set[str]]:
    p = facts["paper"]
    return {"v": set(p["v"]), "flag": set(p["flag"]), "tables": set(p["tables"]),
            "compression": set().union(*(set(c) for c in p["compression"].values())),
            "random_at_final": set(p["random_at_final"] or {}), "report": set(facts["report"])}


def test_facts_and_templates_agree_in_both_directions(run, tmp_path):
    """For a real run of each strategy (the smoke run's halving search; SPOS and DARTS searches run here
    at tiny size on the same data), every key a template reads is one facts.py produces, and every key
    facts.py produces is read by some template: a renamed key or a dead one fails here."""
    import dataclasses

    from edgenas.data import ImageArrays
    from edgenas.deliverables.facts import study_facts
    from edgenas.search.darts import search_darts
    from edgenas.search.latency import read_budget, read_latency_table
    from edgenas.search.spos import search_spos
    from edgenas.settings import Darts, Spos

    workdir, _ = run
    r = workdir / "results"
    halving = json.loads((r / "report/facts.json").read_text())
    study = smoke_study(workdir)
    train = ImageArrays.load(workdir / "resources/data/train.npz")
    table = read_latency_table(r / "latency/local.json", "dense")
    spos = search_spos(train, table=table, budget=read_budget(r / "search/budget.json"),
                       spos=Spos(epochs=1, batch_size=16, subset=128, val_images=64, learning_rate=0.02,
                                 weight_decay=4e-5, population=4, sample_size=2, candidates=4, mutation_prob=0.1,
                                 bn_batches=2), seed=0, workdir=tmp_path / "spos")
    darts = search_darts(train, settings=Darts(
        width=4, num_cells=3, epochs=1, batch_size=16, subset=64, learning_rate=0.025, arc_learning_rate=3e-4,
        weight_decay=3e-4, gradient_clip=5.0), seed=0, workdir=tmp_path / "darts")
    darts_settings = dict(study.settings, search=dict(study.settings["search"], space="darts"))
    facts = [halving, *(study_facts(dataclasses.replace(study, **changes), lang="en", run_times=[],
                                    front={"title": None, "authors": [], "course": None})
                        for changes in ({"result": spos},
                                        {"result": darts, "table": None, "settings": darts_settings}))]
    read, produced = read_by_the_templates(), {}
    for f in facts:
        for kind, keys in produced_by_facts(f).items():
            produced.setdefault(kind, set()).update(keys)
    for kind in read:
        assert read[kind] <= produced[kind], (kind, "read but not produced:", sorted(read[kind] - produced[kind]))
        assert produced[kind] <= read[kind], (kind, "produced but read by no template:",
                                              sorted(produced[kind] - read[kind]))
