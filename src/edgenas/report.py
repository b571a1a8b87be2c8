"""The results report: one HTML page with the per-stage table, compression summary and plots."""
from __future__ import annotations

import base64
import html
import json
from pathlib import Path

import pandas as pd

TABLE_COLUMNS = ["stage", "format", "threads", "accuracy", "latency_ms_p50", "latency_ms_p90",
                 "throughput_ips", "size_mb", "params", "macs"]


def _img(path: str | Path) -> str:
    data = base64.b64encode(Path(path).read_bytes()).decode()
    return f'<img alt="{Path(path).stem}" src="data:image/png;base64,{data}" style="max-width:100%">'


def cell_table(arch: dict) -> pd.DataFrame:
    """The searched cells as rows: cell, node, the two (input, operation) edges."""
    rows = []
    for cell in ("normal", "reduce"):
        node = 2
        while f"{cell}/op_{node}_0" in arch:
            edges = [f"{arch[f'{cell}/op_{node}_{j}']} ← {arch[f'{cell}/input_{node}_{j}'][0]}" for j in (0, 1)]
            rows.append({"cell": cell, "node": node, "edge 1": edges[0], "edge 2": edges[1]})
            node += 1
    return pd.DataFrame(rows)


def render(bench_csvs: list[str], genotype: str, prune_json: str, figures: list[str], path: str | Path) -> None:
    """Write the report from the result files alone (no number is typed here)."""
    geno = json.loads(Path(genotype).read_text())
    prune = json.loads(Path(prune_json).read_text())
    parts = ["<!doctype html><html><head><meta charset='utf-8'><title>edgenas results</title>",
             "<style>body{font-family:sans-serif;max-width:1000px;margin:auto}table{border-collapse:collapse}"
             "td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}</style></head><body>",
             "<h1>edgenas: NAS to INT8 on the edge</h1>"]
    s = geno["search"]
    parts.append(f"<h2>Search</h2><p>{html.escape(s['strategy'])} over NNI's DARTS space "
                 f"(width {geno['space']['width']}, {geno['space']['num_cells']} cells), {s['epochs']} epochs on "
                 f"{s['images']} images, {s['seconds']} s on {s['threads']} threads ({s['accelerator']}).</p>")
    parts.append(cell_table(geno["arch"]).to_html(index=False))
    parts.append(f"<h2>Pruning</h2><p>{html.escape(prune['importance'])} importance, channel ratio "
                 f"{prune['ratio']}: params {prune['before']['params']:,} → {prune['after']['params']:,}, "
                 f"MACs {prune['before']['macs']:,} → {prune['after']['macs']:,}.</p>")
    for csv_path in bench_csvs:
        bench = pd.read_csv(csv_path)
        target = bench.target.iloc[0]
        parts.append(f"<h2>Results on {html.escape(str(target))}</h2><p>CPU: {html.escape(str(bench.cpu.iloc[0]))}, "
                     f"ONNX Runtime {bench.onnxruntime.iloc[0]}.</p>")
        parts.append(bench[TABLE_COLUMNS].to_html(index=False, float_format=lambda v: f"{v:.4g}"))
    parts.append("<h2>Figures</h2>" + "".join(_img(f) for f in figures))
    parts.append("</body></html>")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text("\n".join(parts))
