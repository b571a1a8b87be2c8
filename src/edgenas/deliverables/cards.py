"""The demo video's opening and closing cards, from the run's benchmark, in the run's language."""
from __future__ import annotations

import pandas as pd

from ..registry import CHAIN


def video_cards(bench: pd.DataFrame, words: dict) -> tuple[list[str], list[str]]:
    """The demo video's opening card (the final model: what, where, how good, how fast) and its
    closing card (the searched net through the compression chain), from the run's benchmark;
    ``words`` is the language's catalogue (its ``video:`` lines, its decimal mark)."""
    w, comma = words["video"], words["decimal"]

    def fixed(value: float, digits: int) -> str:
        return f"{value:.{digits}f}".replace(".", comma)

    rows = bench[(bench.model == "nas") & bench["format"].str.startswith("onnx") & (bench.threads == bench.threads.min())]
    rows = rows.set_index("stage")
    final, base = rows.loc["int8"], rows.loc["baseline"]
    values = {"cpu": final.cpu, "isa": final.isa, "threads": int(final.threads), "onnxruntime": final.onnxruntime,
              "size_mb": fixed(final.size_mb, 3), "params": fixed(final.params / 1e3, 0), "macs": fixed(final.macs / 1e6, 1),
              "accuracy": fixed(100 * final.accuracy, 2), "images": int(final.test_images),
              "ms": fixed(final.latency_ms_p50, 3), "base_ms": fixed(base.latency_ms_p50, 3),
              "base_accuracy": fixed(100 * base.accuracy, 2)}
    opening = [line.format(**values) for line in w["opening"]]
    closing = [w["closing_title"]] + [
        w["closing_row"].format(stage=stage, accuracy=fixed(100 * rows.loc[stage].accuracy, 2),
                                ms=fixed(rows.loc[stage].latency_ms_p50, 3), size_mb=fixed(rows.loc[stage].size_mb, 3))
        for stage in CHAIN if stage in rows.index]
    return opening, closing
