"""The study's tables from benchmark rows, without a run."""
import pandas as pd

from edgenas import analysis


def bench_rows(int8_accuracy: float, isa: str = "x86-avx2") -> pd.DataFrame:
    rows = [("nas", "baseline", "onnx-fp32", 0.816), ("nas", "baseline_int8", "onnx-int8", 0.815),
            ("nas", "finetuned", "onnx-fp32", 0.816), ("nas", "int8", "onnx-int8", int8_accuracy),
            ("random1", "baseline", "onnx-fp32", 0.82), ("random1", "baseline_int8", "onnx-int8", 0.819)]
    return pd.DataFrame([{"target": "laptop", "model": m, "stage": st, "format": f, "accuracy": a,
                          "test_images": 10000, "threads": t, "isa": isa} for m, st, f, a in rows for t in (1, 2)])


def test_an_int8_file_below_its_fp32_beyond_noise_is_flagged_with_its_isa():
    """81.63 % FP32 against 79.38 % INT8 on 10,000 images (the AVX2 laptop of issue 31): 2.25
    points, past twice the standard error (0.77 points); 0.1 points is not."""
    losses = analysis.int8_losses(bench_rows(0.7938))
    assert len(losses) == 3 and set(losses["INT8 stage"]) == {"baseline_int8", "int8"}
    flagged = losses[losses["beyond noise"]]
    assert list(zip(flagged.model, flagged["INT8 stage"])) == [("nas", "int8")]
    row = flagged.iloc[0]
    assert round(row["change (points)"], 2) == -2.22 and round(row["2 std errors (points)"], 2) == 0.77
    assert row.isa == "x86-avx2" and row.images == 10000
    assert not analysis.int8_losses(bench_rows(0.815))["beyond noise"].any()
