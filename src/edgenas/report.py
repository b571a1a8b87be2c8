"""The study's report (``report.html`` and its Markdown twin ``report.md``) from the facts file.

The words live in a Jinja template (``report.md.j2``, found like the paper's templates: the
user's folder first, then the workflow's); this module only formats table cells for readers
and renders: Markdown through the template, HTML from that Markdown (markdown-it-py), the
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
         "td{text-align:right}pre{background:#f6f6f6;padding:0.5em;overflow:auto}img{max-width:100%}")


def fmt(value) -> str:
    """The one formatting of a table cell, shared by both renderings (and by the tests)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, int) or (hasattr(value, "dtype") and "int" in str(value.dtype)):
        return str(int(value))
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


# Column -> (label in words, with units; how a value reads). Every table the report shows of the
# benchmark and analysis goes through ``for_readers``; the tests compare against the same function.
READERS = {
    "accuracy": ("accuracy (%)", lambda v: f"{100 * v:.2f}"),
    "std error": ("std error (points)", lambda v: f"{100 * v:.2f}"),
    "latency_ms_p50": ("latency p50 (ms)", lambda v: f"{v:.3f}"),
    "latency_ms_p90": ("latency p90 (ms)", lambda v: f"{v:.3f}"),
    "p50 ms": ("latency p50 (ms)", lambda v: f"{v:.3f}"),
    "size_mb": ("size (MB)", lambda v: f"{v:.3f}"),
    "params": ("params (k)", lambda v: f"{v / 1e3:.1f}"),
    "macs": ("MACs (M)", lambda v: f"{v / 1e6:.2f}"),
    "gmacs_per_s": ("GMAC/s", lambda v: f"{v:.1f}"),
    "peak_fraction": ("of peak (%)", lambda v: f"{100 * v:.0f}"),
    "vs NAS (points)": ("vs NAS (points)", lambda v: f"{v:+.2f}"),
    "accuracy change (points)": ("accuracy change (points)", lambda v: f"{v:+.2f}"),
    "difference (points)": ("difference (points)", lambda v: f"{v:+.2f}"),
    "accuracy with flip TTA": ("accuracy with flip TTA (%)", lambda v: f"{100 * v:.2f}"),
    "gain (points)": ("gain (points)", lambda v: f"{v:+.2f}"),
    "std error of the gain (points)": ("std error of the gain (points)", lambda v: f"{v:.2f}"),
    "p50 ms with flip TTA": ("latency p50 with flip TTA (ms)", lambda v: f"{v:.3f}"),
    "latency ratio": ("latency ratio", lambda v: f"{v:.2f}x"),
}


def for_readers(frame: pd.DataFrame) -> pd.DataFrame:
    """A table as people read it: labels with units, accuracy in %, ms to 3 decimals, M MACs, k params,
    ratios as '1.23x'; every other value as ``fmt`` writes it."""
    out = {}
    for column in frame.columns:
        label, show = READERS.get(column, (column, None))
        if show is None and ("speed-up" in column or "smaller" in column):
            show = lambda v: f"{v:.2f}x"  # noqa: E731
        if show is None and column.startswith("accuracy "):  # accuracy here / on a device
            label, show = f"{column} (%)", READERS["accuracy"][1]
        out[label] = [fmt(v) if show is None or v is None or (isinstance(v, float) and math.isnan(v)) else show(v)
                      for v in frame[column]]
    return pd.DataFrame(out)


def table(frame: pd.DataFrame, readers: bool = True) -> dict[str, list]:
    """A table for the facts file: its column labels and its cells as readers see them."""
    shown = for_readers(frame) if readers else frame.map(fmt) if len(frame) else frame.astype(str)
    return {"columns": [str(c) for c in shown.columns], "rows": [[str(v) for v in row] for row in shown.itertuples(index=False)]}


def times(ratio: float, more: str, less: str) -> str:
    """A ratio in words: 2.1 -> '2.1x faster', 0.8 -> '1.25x slower' (never 'faster by 0.8x')."""
    return f"{fmt(ratio)}x {more}" if ratio >= 1 else f"{fmt(1 / ratio)}x {less}"


def markdown_table(t: dict[str, list]) -> str:
    cell = lambda v: str(v).replace("|", "\\|")  # noqa: E731
    lines = ["| " + " | ".join(map(cell, t["columns"])) + " |", "|" + "---|" * len(t["columns"])]
    return "\n".join(lines + ["| " + " | ".join(map(cell, row)) + " |" for row in t["rows"]])


def environment(folders: list[Path]):
    """Jinja over the template folders, with the report's formatting as filters."""
    import jinja2
    import yaml

    env = jinja2.Environment(loader=jinja2.FileSystemLoader([str(f) for f in folders]), undefined=jinja2.StrictUndefined,
                             keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(fmt=fmt, table=markdown_table, times=times, yaml=lambda v: yaml.safe_dump(v, sort_keys=False),
                       pct=lambda v: f"{100 * v:.2f} %")
    return env


def render(facts: dict[str, Any], *, templates: list[Path], html_path: str | Path, md_path: str | Path) -> None:
    """Write report.md from the template and the facts, and report.html from that Markdown."""
    from markdown_it import MarkdownIt

    md_path, html_path = Path(md_path), Path(html_path)
    md_path.parent.mkdir(parents=True, exist_ok=True)
    figures = Path(os.path.relpath(Path(html_path).parent.parent / "figures", md_path.parent))
    text = environment(templates).get_template("report.md.j2").render(**facts["report"], figures=figures.as_posix(),
                                                                          available=facts["figures"])
    body = MarkdownIt("commonmark", {"html": False}).enable("table").render(text)

    def embed(match: re.Match) -> str:
        data = base64.b64encode((md_path.parent / match.group(1)).read_bytes()).decode()
        return f'src="data:image/png;base64,{data}"'

    body = re.sub(r'src="([^"]+\.png)"', embed, body)
    md_path.write_text(text)
    html_path.write_text("<!doctype html><html><head><meta charset='utf-8'><title>edgenas report</title>"
                         f"<style>{STYLE}</style></head><body>\n{body}</body></html>\n")
