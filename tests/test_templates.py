"""The paper's and slides' templates typeset every branch a run can take (space, strategy,
controls, random seeds, a wiring check, the title block), from a facts file made here: each
key a template reads stands for itself, so the PDF's text shows where each value went."""
import json
import re
import shutil

import pytest
from conftest import REPO

TEMPLATES = REPO / "report/templates"
FIGURES = ["architecture", "population", "latency_check", "training_curves", "normal_cell", "reduce_cell",
           "arch_weights", "local/accuracy_latency", "local/accuracy_size", "local/stage_gains"]


def referenced(pattern: str) -> set[str]:
    return {m for name in ("paper.en.typ", "paper.vi.typ", "slides.en.typ", "slides.vi.typ")
            for m in re.findall(pattern, (TEMPLATES / name).read_text())}


COMPRESSION_FIELDS = ("points", "se", "accuracy", "ms", "speed", "smaller", "budget", "predicted", "measured",
                      "lands", "final_measured", "plan_ratio")


def facts(lang: str, comp: dict | None = None, rf: dict | None = None, **flags) -> dict:
    """``comp``: control -> what its comparison says (gain, loss, noise), ``rf``: the random test at the
    final model's latency; every value a placeholder that names itself."""
    values = {key: f"<{key}>" for key in referenced(r"\bf\.(\w+)")}
    values["target"] = "local"  # names the figures' folder
    flag = {key: False for key in referenced(r"\bis\.(\w+)")} | {"randoms": 0, "space": "mobile", "strategy": "halving"}
    flag.update(flags)
    tables = {key: [[f"<{key} {i}>" for i in range(10)]] for key in referenced(r"\btables\.(\w+)")}
    # a budget raised where the final model "gained", planned right after the search where it is "noise"
    compression = {key: {f: f"<{key}.{f}>" for f in COMPRESSION_FIELDS} | {"says": says, "faster": True,
                                                                           "is_smaller": True, "raised": says == "gain",
                                                                           "planned": says == "noise", "paired": True}
                   for key, says in (comp or {}).items()}
    random_at_final = None if rf is None else {k: f"<rf.{k}>" for k in ("randoms", "best", "best_points", "mean_points",
                                                                         "se", "spread", "difference",
                                                                         "mean_difference")} | rf
    return {"language": lang, "front": {"title": None, "authors": ["Nguyễn Văn An"], "course": "Tính toán biên"},
            "paper": {"v": values, "flag": flag, "tables": tables, "compression": compression,
                      "random_at_final": random_at_final}, "report": {}, "figures": FIGURES}


def write_figures(folder):
    from PIL import Image

    for name in FIGURES:
        (folder / f"{name}.png").parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (40, 30), "white").save(folder / f"{name}.png")


@pytest.mark.parametrize("lang", ["en", "vi"])
@pytest.mark.parametrize("flags", [
    {"first_question": True, "randoms": 3, "beats_random": True, "best_control_above": True, "on_front": True, "final_faster": True,
     "final_is_smaller": True, "int8_alone": True, "int8_alone_faster": True, "flip_tta": True, "latency_table": True, "jpeg_data": True,
     "alternating_flip": True, "space": "dense", "random_by_val": True, "random_verdict": True,
     "distill": True},
    {"strategy": "spos", "first_question": True, "randoms": 1, "wiring_check": True, "latency_table": True},
    {"space": "darts", "strategy": "darts"},
    {"preranked": True, "first_question": True, "randoms": 2, "space": "dense"},
], ids=["halving", "spos", "darts", "halving-preranked"])
def test_every_branch_of_the_templates_typesets(tmp_path, lang, flags):
    import pypdf

    from edgenas.deliverables.publish import publish

    (tmp_path / "figures").mkdir()
    write_figures(tmp_path / "figures")
    (tmp_path / "facts.json").write_text(json.dumps(facts(lang, **flags)))
    publish(tmp_path / "facts.json", figures_dir=tmp_path / "figures", templates=[TEMPLATES],
            paper_dir=tmp_path / "paper", slides_dir=tmp_path / "slides", paper_pdf=tmp_path / "paper.pdf",
            slides_pdf=tmp_path / "slides.pdf", notes_pdf=tmp_path / "notes.pdf")
    paper = " ".join(p.extract_text() for p in pypdf.PdfReader(tmp_path / "paper.pdf").pages)
    slides = " ".join(p.extract_text() for p in pypdf.PdfReader(tmp_path / "slides.pdf").pages)
    assert "<final_accuracy>" in paper and "<final_speedup>" in slides and "Nguyễn Văn An" in paper and "Nguyễn Văn An" in slides
    assert ("<random_mean_points>" in paper) == flags.get("random_verdict", False)  # a verdict takes three random nets
    assert any(w in " ".join(paper.split()) for w in ("cannot tell a search from a lucky draw", "may mắn")) == (
        flags.get("randoms", 0) > 0 and not flags.get("random_verdict", False))
    assert ("<distill_share>" in paper) == flags.get("distill", False)  # fine-tuning's distillation, when on
    # the random net held against the searched one: the best on validation images, or (none held out) on the test set
    assert ("<best_random>" in paper) == (flags.get("randoms", 0) > 0)
    kept = " ".join(paper.split())
    several = flags.get("randoms", 0) > 1  # one random net is named as such: there is nothing to pick among
    assert any(w in kept for w in ("the best on the validation images", "tốt nhất trên các ảnh kiểm định")) == (
        several and flags.get("random_by_val", False))
    assert any(w in kept for w in ("that flatters random", "có lợi cho ngẫu nhiên")) == (
        several and not flags.get("random_by_val", False))
    assert any(w in kept for w in ("the random architecture of the space", "kiến trúc ngẫu nhiên duy nhất")) == (
        flags.get("randoms", 0) == 1)
    assert ("<stability_rho>" in paper) == (flags.get("strategy", "halving") == "halving")
    assert ("<darts_nodes>" in paper) == (flags.get("space") == "darts")
    assert any(w in paper for w in ("alternating flip", "lật ảnh xen kẽ")) == flags.get("alternating_flip", False)
    space = flags.get("space", "mobile")  # each hardware-aware space's paragraph and slide, in both languages
    paper, slides = " ".join(paper.split()), " ".join(slides.split())  # lines broken anywhere
    halving = flags.get("strategy", "halving") == "halving"  # the draws ranked by a cheap score, or raced in drawn order
    assert any(w in paper for w in ("ranked by a cheap score (<prerank>)", "theo một điểm số rẻ (<prerank>)")) == (
        halving and flags.get("preranked", False))
    assert any(w in paper for w in ("random search, then early stopping", "tìm kiếm ngẫu nhiên rồi dừng sớm")) == (
        halving and not flags.get("preranked", False))
    assert any(w in paper for w in ("three groups that each halve", "ba nhóm mà mỗi nhóm")) == (space == "dense")
    assert any(w in paper for w in ("an airbench94-style space", "không gian kiểu airbench94")) == (space == "dense")
    assert any(w in paper for w in ("a MobileNetV2-style space", "không gian kiểu MobileNetV2")) == (space == "mobile")
    assert any(w in paper for w in ("seven stages of blocks", "bảy tầng khối")) == (space == "mobile")
    assert ("<space_count>" in slides) == (space in ("dense", "mobile"))
    assert any(w in slides for w in ("three groups that halve", "ba nhóm")) == (space == "dense")
    # "did NAS help?" states the same-recipe INT8 margin (before pruning) over the table that shows it
    assert ("<same_baseline_int8 0>" in slides) == flags.get("first_question", False)


def test_a_student_file_replaces_the_workflows_and_the_rest_comes_along(tmp_path):
    from edgenas.deliverables.publish import write_sources

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "slides.en.typ").write_text("#import \"edgenas.typ\": *\nMy own slides: #f.final_accuracy\n")
    (mine / "logo.png").write_bytes(b"png")
    (tmp_path / "figures").mkdir()
    write_figures(tmp_path / "figures")
    (tmp_path / "facts.json").write_text(json.dumps(facts("en")))
    slides = write_sources("slides", facts_json=tmp_path / "facts.json", figures_dir=tmp_path / "figures",
                           templates=[mine, TEMPLATES], folder=tmp_path / "slides")
    assert (slides / "main.typ").read_text().startswith("#import") and "My own slides" in (slides / "main.typ").read_text()
    assert {p.name for p in slides.iterdir()} == {"main.typ", "edgenas.typ", "deck.typ", "facts.json", "figures", "logo.png"}
    paper = write_sources("paper", facts_json=tmp_path / "facts.json", figures_dir=tmp_path / "figures",
                          templates=[mine, TEMPLATES], folder=tmp_path / "paper")
    assert (paper / "main.typ").read_text() == (TEMPLATES / "paper.en.typ").read_text()
    shutil.rmtree(tmp_path / "figures")
    with pytest.raises(FileNotFoundError, match="report.templates: no paper.fr.typ"):
        (tmp_path / "facts.json").write_text(json.dumps(facts("fr")))
        write_sources("paper", facts_json=tmp_path / "facts.json", figures_dir=tmp_path / "figures",
                      templates=[mine, TEMPLATES], folder=tmp_path / "fr")


def test_no_punctuation_is_swallowed_by_an_expression():
    """Typst ends an embedded expression (``#if ... [..] else [..]``, ``#f.key``) at a semicolon and
    drops it, so "[larger]; pruning" typesets as "larger pruning": markup writes ``\\;`` there."""
    for name in ("paper.en.typ", "paper.vi.typ", "slides.en.typ", "slides.vi.typ"):
        for number, line in enumerate((TEMPLATES / name).read_text().splitlines(), 1):
            assert not re.search(r"(\]|#[A-Za-z_][\w.]*\w);", line), f"{name}:{number}: write \\; after an expression"


def test_accuracies_and_point_differences_read_to_two_decimals_in_either_language():
    """Numbers the paper sets side by side read alike: a distance from the random nets' mean (a
    mean of seeds) like one from the best, '0.56' beside '0.32', not '0.564'; an accuracy 87.10 %
    beside 88.04 %, not 87.1 %; the tables' point columns signed, as the HTML report's."""
    from edgenas.deliverables.numbers import change, pct, point_cell, signed

    assert pct(0.871, "en") == "87.10 %" and pct(0.8804, "vi") == "88,04 %"  # accuracies: two decimals too

    assert signed(0.564, "en") == ("0.56", True)
    assert point_cell(0.15, "en") == "+0.15" and point_cell(-1.875, "vi") == "-1,88"  # the tables' column
    assert point_cell(None, "en") == point_cell(float("nan"), "en") == "–"  # the searched net's own row
    assert signed(-0.32, "vi") == ("0,32", False)
    assert signed(0.0, "en") == ("0.00", True)
    assert change(-0.564, "vi") == "-0,56"


@pytest.mark.parametrize("lang", ["en", "vi"])
@pytest.mark.parametrize("comp,rf", [
    ({"nas_fp32": "gain", "nas_int8": "noise", "nas_at_final": "loss", "pruned_scratch": "gain"},
     {"verdict": False, "above": False, "mean_above": False}),
    ({"nas_fp32": "gain", "nas_int8": "gain", "nas_at_final": "gain", "pruned_scratch": "noise"},
     {"verdict": None, "above": True, "mean_above": True}),
    ({"nas_fp32": "gain", "nas_int8": "noise"}, None),
], ids=["control-won", "compression-won", "no-controls"])
def test_what_compression_added_reads_as_its_controls_say(tmp_path, lang, comp, rf):
    """The paper and the slides answer "what did compression add?" against the controls the run has,
    in words that follow each comparison's 2-SE verdict (a control that wins is named as the winner),
    and say so where the run has none; at the final model's latency too, "did NAS beat random?"."""
    import pypdf

    from edgenas.deliverables.publish import publish

    (tmp_path / "figures").mkdir()
    write_figures(tmp_path / "figures")
    flags = {"first_question": True, "randoms": 3, "random_verdict": True, "space": "dense",
             "compression_controls": "nas_at_final" in comp}
    (tmp_path / "facts.json").write_text(json.dumps(facts(lang, comp=comp, rf=rf, **flags)))
    publish(tmp_path / "facts.json", figures_dir=tmp_path / "figures", templates=[TEMPLATES],
            paper_dir=tmp_path / "paper", slides_dir=tmp_path / "slides", paper_pdf=tmp_path / "paper.pdf",
            slides_pdf=tmp_path / "slides.pdf", notes_pdf=tmp_path / "notes.pdf")
    paper, slides, notes = (" ".join(" ".join(p.extract_text() for p in pypdf.PdfReader(tmp_path / f).pages).split())
                            for f in ("paper.pdf", "slides.pdf", "notes.pdf"))
    for control in ("nas_at_final", "pruned_scratch"):
        assert (f"<{control}.points>" in paper) == (f"<{control}.points>" in slides) == (control in comp)
    assert ("<decompo" in paper) == ("nas_at_final" in comp)  # the decomposition table (its cells hyphenate)
    # a raised budget, or the final model's latency beside the plan
    assert ("<nas_at_final.final_measured>" in paper) == (comp.get("nas_at_final") in ("gain", "noise"))
    assert ("<nas_at_final.plan_ratio>" in paper) == (comp.get("nas_at_final") == "noise")
    assert ("<rf.best_points>" in paper) == ("<rf.difference>" in slides) == (rf is not None)
    assert ("<nas_at_final.budget>" in notes) == ("nas_at_final" in comp)  # the speaker's notes carry the numbers
    if lang == "en":
        assert ("found the better net" in paper) == ("beat compression" in slides) == (comp.get("nas_at_final") == "loss")
        assert ("did not find" in paper) == ("points beyond a smaller architecture" in slides) == (
            comp.get("nas_at_final") == "gain")
        assert ("from scratch did better" in paper) == (comp.get("pruned_scratch") == "loss")
        assert ("trained no control that can say" in paper) == ("cannot yet say" in slides) == ("nas_at_final" not in comp)
        assert ("too few random nets for a verdict" in paper) == (rf is not None and rf["verdict"] is None)
