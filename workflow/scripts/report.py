"""The study's report (report.html, report.md), paper and slides (paper.pdf, slides.pdf, and their
editable sources) from results/report/facts.json through the templates."""
import json
from pathlib import Path

from edgenas.runlog import to_log

to_log(snakemake.log[0])

from edgenas.deliverables.publish import publish  # noqa: E402
from edgenas.deliverables.report import render  # noqa: E402

inp, out, p = snakemake.input, snakemake.output, snakemake.params
templates = [Path(t) for t in p.templates]
render(json.loads(Path(inp.facts).read_text()), templates=templates, html_path=out.html, md_path=out.markdown)
publish(inp.facts, figures_dir=p.figures, templates=templates, paper_dir=out.paper_sources,
        slides_dir=out.slides_sources, paper_pdf=out.paper, slides_pdf=out.slides, notes_pdf=out.notes)
