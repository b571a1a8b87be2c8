"""The study's report (``report.html`` and its Markdown twin ``report.md``) from the facts file.

The words live in a Jinja template per language (``report.<language>.md.j2``, found like the
paper's templates: the user's folder first, then the workflow's) and the language's catalogue
(``words.<language>.yaml``: column labels, yes and no, the decimal mark); this module only formats
table cells for readers and renders: Markdown through the template, HTML from that Markdown (markdown-it-py), the
figures embedded so the page travels alone.
"""
from __future__ import annotations

import base64
import math
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

RESULT_COLUMNS = ["model", "stage", "format", "threads", "accuracy", "latency_ms_p50", "latency_ms_p90", "size_mb",
                  "params", "macs", "gmacs_per_s", "peak_fraction"]
STYLE = ("body{font-family:sans-serif;max-width:1100px;margin:auto;line-height:1.4}"
         "table{border-collapse:collapse;margin:0.5em 0}td,th{border:1px solid #ccc;padding:3px 6px}"
         "td{text-align:right}pre{background:#f6f6f6;padding:0.5em;overflow:auto}img{max-width:100%}"
         "blockquote{background:#fff4d6;border-left:6px solid #e0a800;margin:1em 0;padding:0.6em 1em}")


def fmt(value, words: dict | None = None) -> str:
    """The one formatting of a table cell, shared by both renderings (and by the tests): booleans in
    the language's words, numbers with its decimal mark (``words``: its catalogue; English without)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return (words or english())["values"]["yes" if value else "no"]
    if isinstance(value, int) or (hasattr(value, "dtype") and "int" in str(value.dtype)):
        return str(int(value))
    if isinstance(value, float):
        return decimal(f"{value:.4g}", words)
    if isinstance(value, str):
        return (words or english())["values"].get(value, value)  # a value the language names (an analysis key)
    return str(value)


def english() -> dict:
    """The workflow's English catalogue: the words where a caller names none."""
    from ..words import load_words

    return load_words("en")


def decimal(text: str, words: dict | None) -> str:
    """A number written with the language's decimal mark."""
    return text.replace(".", (words or english())["decimal"])


# Column -> how a value reads. Every table the report shows of the benchmark and analysis goes
# through ``for_readers``; the labels, with units, are the language's (``words.<lang>.yaml``, columns).
READERS = {
    "accuracy": lambda v: f"{100 * v:.2f}",
    "std_error": lambda v: f"{100 * v:.2f}",
    "latency_ms_p50": lambda v: f"{v:.3f}",
    "latency_ms_p90": lambda v: f"{v:.3f}",
    "p50_ms": lambda v: f"{v:.3f}",
    "size_mb": lambda v: f"{v:.3f}",
    "params": lambda v: f"{v / 1e3:.1f}",
    "macs": lambda v: f"{v / 1e6:.2f}",
    "gmacs_per_s": lambda v: f"{v:.1f}",
    "peak_fraction": lambda v: f"{100 * v:.0f}",
    "vs_nas_points": lambda v: f"{v:+.2f}",
    "accuracy_change_points": lambda v: f"{v:+.2f}",
    "difference_points": lambda v: f"{v:+.2f}",
    "accuracy_flip_tta": lambda v: f"{100 * v:.2f}",
    "gain_points": lambda v: f"{v:+.2f}",
    "gain_se_points": lambda v: f"{v:.2f}",
    "p50_ms_flip_tta": lambda v: f"{v:.3f}",
    "latency_ratio": lambda v: f"{v:.2f}x",
    "fp32_accuracy": lambda v: f"{100 * v:.2f}",
    "int8_accuracy": lambda v: f"{100 * v:.2f}",
    "final_minus_points": lambda v: f"{v:+.2f}",
    "difference_se_points": lambda v: f"{v:.2f}",
    "change_points": lambda v: f"{v:+.2f}",
    "change_se_points": lambda v: f"{v:.2f}",
}


def label(column: str, words: dict | None = None) -> str:
    """A column's label in the language's words: its own entry, or a pattern's (``accuracy_on_{target}``)."""
    columns = (words or english())["columns"]
    if column in columns:
        return columns[column]
    for key, text in columns.items():
        if "{" in key:
            pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>.+)", re.escape(key))
            match = re.fullmatch(pattern, column)
            if match:
                return text.format(**match.groupdict())
    return column


def reader(column: str):
    """How a column's values read, or None for ``fmt``'s way."""
    if column in READERS:
        return READERS[column]
    if "speedup" in column or "smaller" in column:
        return lambda v: f"{v:.2f}x"
    if column.startswith("accuracy_"):  # accuracy here / on a device
        return READERS["accuracy"]
    return None


def for_readers(frame: pd.DataFrame, words: dict | None = None) -> pd.DataFrame:
    """A table as people read it: labels with units, accuracy in %, ms to 3 decimals, M MACs, k params,
    ratios as '1.23x'; every other value as ``fmt`` writes it; in the language of ``words``."""
    out = {}
    for column in frame.columns:
        show = reader(column)
        out[label(column, words)] = [
            fmt(v, words) if show is None or v is None or (isinstance(v, float) and math.isnan(v))
            else decimal(show(v), words) for v in frame[column]]
    return pd.DataFrame(out)


def table(frame: pd.DataFrame, readers: bool = True, words: dict | None = None) -> dict[str, list]:
    """A table for the facts file: its column labels and its cells as readers see them."""
    if readers:
        shown = for_readers(frame, words)
    else:
        shown = frame.map(lambda v: fmt(v, words)) if len(frame) else frame.astype(str)
        shown.columns = [label(str(c), words) for c in shown.columns]
    return {"columns": [str(c) for c in shown.columns], "rows": [[str(v) for v in row] for row in shown.itertuples(index=False)]}


def times(ratio: float, more: str, less: str, words: dict | None = None) -> str:
    """A ratio in words: 2.1 -> '2.1x faster', 0.8 -> '1.25x slower' (never 'faster by 0.8x')."""
    return f"{fmt(ratio, words)}x {more}" if ratio >= 1 else f"{fmt(1 / ratio, words)}x {less}"


def markdown_table(t: dict[str, list]) -> str:
    cell = lambda v: str(v).replace("|", "\\|")  # noqa: E731
    lines = ["| " + " | ".join(map(cell, t["columns"])) + " |", "|" + "---|" * len(t["columns"])]
    return "\n".join(lines + ["| " + " | ".join(map(cell, row)) + " |" for row in t["rows"]])


def environment(folders: list[Path], words: dict | None = None):
    """Jinja over the template folders, with the report's formatting, in the language of ``words``, as filters."""
    import jinja2
    import yaml

    env = jinja2.Environment(loader=jinja2.FileSystemLoader([str(f) for f in folders]), undefined=jinja2.StrictUndefined,
                             keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(
        fmt=lambda v: fmt(v, words), table=markdown_table, yaml=lambda v: yaml.safe_dump(v, sort_keys=False),
        times=lambda v, more, less: times(v, more, less, words), pct=lambda v: decimal(f"{100 * v:.2f} %", words),
        signed=lambda v: decimal(f"{v:+.2f}", words), fixed=lambda v, digits: decimal(f"{v:.{digits}f}", words))
    return env


def render(facts: dict[str, Any], *, templates: list[Path], html_path: str | Path, md_path: str | Path) -> None:
    """Write report.md from the language's template (``report.<language>.md.j2``) and the facts, and
    report.html from that Markdown."""
    from markdown_it import MarkdownIt

    from ..words import load_words

    lang = facts["language"]
    md_path, html_path = Path(md_path), Path(html_path)
    md_path.parent.mkdir(parents=True, exist_ok=True)
    figures = Path(os.path.relpath(Path(html_path).parent.parent / "figures", md_path.parent))
    env = environment(templates, load_words(lang, templates))
    text = env.get_template(f"report.{lang}.md.j2").render(**facts["report"], figures=figures.as_posix(),
                                                           available=facts["figures"])
    body = MarkdownIt("commonmark", {"html": False}).enable("table").render(text)

    def embed(match: re.Match) -> str:
        data = base64.b64encode((md_path.parent / match.group(1)).read_bytes()).decode()
        return f'src="data:image/png;base64,{data}"'

    body = re.sub(r'src="([^"]+\.png)"', embed, body)
    body = re.sub(r"<h2>(\d+)\.", lambda m: f'<h2 id="s{m.group(1)}">{m.group(1)}.', body)  # the contents' anchors
    md_path.write_text(text)
    html_path.write_text(f"<!doctype html><html lang='{lang}'><head><meta charset='utf-8'><title>edgenas</title>"
                         f"<style>{STYLE}</style></head><body>\n{body}</body></html>\n")
