"""What the student hands in: the paper (A4) and the slides (16:9) as PDF, typeset with Typst.

The words and the layout are Typst templates (``report/templates/``, or the student's own
edited copy named by ``report.templates``) that read the run's facts file; nothing here
writes prose. Each PDF's sources are kept beside it (``results/report/paper/``,
``results/report/slides/``: ``main.typ``, the shared ``edgenas.typ``, ``facts.json`` and the
figures), so a student can edit them and rebuild by hand: ``edgenas typeset results/report/paper``.
Typst's Python package carries the compiler and its fonts (Libertinus Serif covers
Vietnamese), so nothing is fetched at build time.
"""
from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

KINDS = ("paper", "slides")


def template(name: str, folders: list[Path]) -> Path:
    """The first of ``folders`` (the student's before the workflow's) that holds ``name``."""
    for folder in folders:
        if (Path(folder) / name).is_file():
            return Path(folder) / name
    raise FileNotFoundError(f"report.templates: no {name} in {', '.join(map(str, folders))}")


def write_sources(kind: str, *, facts_json: str | Path, figures_dir: str | Path, templates: list[Path],
                  folder: str | Path) -> Path:
    """``folder`` made afresh: ``main.typ`` (the ``kind`` template in the facts' language), every
    other file of the template folders but the other templates (a student's own images or
    bibliography come along), ``facts.json`` and the run's figures under ``figures/``."""
    facts = json.loads(Path(facts_json).read_text())
    folder = Path(folder)
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "figures").mkdir(parents=True)
    for source in reversed(templates):  # the student's files last: they win
        for path in Path(source).glob("*"):
            if path.is_file() and not path.name.startswith((*(f"{k}." for k in KINDS), "words.")) \
                    and path.suffix != ".j2":
                shutil.copy2(path, folder / path.name)
    shutil.copy2(template(f"{kind}.{facts['language']}.typ", templates), folder / "main.typ")
    shutil.copy2(facts_json, folder / "facts.json")
    for name in facts["figures"]:
        target = folder / "figures" / f"{name}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(Path(figures_dir) / f"{name}.png", target)
    return folder


def typeset(folder: str | Path, pdf: str | Path | None = None, notes: bool = False) -> Path:
    """Compile ``folder/main.typ`` into ``pdf`` (by default ``<folder>.pdf`` beside the folder),
    atomically: a failed compile leaves the last PDF in place."""
    import typst

    folder = Path(folder).resolve()
    pdf = Path(pdf) if pdf else folder.with_suffix(".pdf")
    pdf.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=pdf.parent) as tmp:
        out = Path(tmp) / pdf.name
        typst.compile(str(folder / "main.typ"), output=str(out), root=str(folder),
                      sys_inputs={"notes": "yes" if notes else "no"})
        shutil.move(str(out), pdf)
    return pdf


def publish(facts_json: str | Path, *, figures_dir: str | Path, templates: list[Path], paper_dir: str | Path,
            slides_dir: str | Path, paper_pdf: str | Path, slides_pdf: str | Path, notes_pdf: str | Path) -> None:
    """The paper's and the slides' sources, each typeset into its PDF; the slides' speaker notes too."""
    for kind, folder, pdf in (("paper", paper_dir, paper_pdf), ("slides", slides_dir, slides_pdf)):
        typeset(write_sources(kind, facts_json=facts_json, figures_dir=figures_dir, templates=templates,
                              folder=folder), pdf)
    typeset(slides_dir, notes_pdf, notes=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="edgenas typeset", description=(
        "Typeset a paper or slides folder written by the workflow (results/report/paper, results/report/slides) "
        "after editing its main.typ: the same as `typst compile <folder>/main.typ` where the Typst CLI is installed."),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("folder", help="a folder holding main.typ, edgenas.typ, facts.json and figures/")
    parser.add_argument("-o", "--out", help="the PDF to write (None: <folder>.pdf, e.g. results/report/paper.pdf)")
    args = parser.parse_args(argv)
    if not (Path(args.folder) / "main.typ").is_file():
        parser.error(f"{args.folder}: no main.typ here (the workflow writes results/report/paper/ and results/report/slides/)")
    print(typeset(args.folder, args.out))
    return 0
