"""The demo video's opening and closing cards, from the run's benchmark."""
from __future__ import annotations

import pandas as pd

from . import analysis


def video_cards(bench: pd.DataFrame) -> tuple[list[str], list[str]]:
    """The demo video's opening card (the final model: what, where, how good, how fast) and its
    closing card (the searched net through the compression chain), from the run's benchmark."""
    rows = bench[(bench.model == "nas") & bench["format"].str.startswith("onnx") & (bench.threads == bench.threads.min())]
    rows = rows.set_index("stage")
    final, base = rows.loc["int8"], rows.loc["baseline"]
    opening = ["edgenas: the searched net, pruned, fine-tuned, INT8",
               f"target: {final.cpu} ({final.isa}), {int(final.threads)} thread, ONNX Runtime {final.onnxruntime}",
               f"{final.size_mb:.3f} MB, {final.params / 1e3:.0f}k parameters, {final.macs / 1e6:.1f} M MACs",
               f"test accuracy {100 * final.accuracy:.2f} % on {int(final.test_images)} images",
               f"latency {final.latency_ms_p50:.3f} ms p50 (FP32 baseline {base.latency_ms_p50:.3f} ms, "
               f"{100 * base.accuracy:.2f} %)"]
    closing = ["per stage: accuracy, latency p50, size"]
    for stage in analysis.STAGE_ORDER:
        if stage in rows.index:
            r = rows.loc[stage]
            closing.append(f"{stage:>9}: {100 * r.accuracy:6.2f} %  {r.latency_ms_p50:.3f} ms  {r.size_mb:.3f} MB")
    return opening, closing
