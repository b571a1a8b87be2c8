"""The study's models and stages, named once (torch-free, read while the workflow is parsed).

The searched net goes through the compression chain; every net, the searched one too, is also
quantized as it was trained (its INT8 baseline), which is how each control is deployed. The workflow
(which files to build and from what), the analysis and the figures look these names up here.
"""
from __future__ import annotations

from typing import Any

SEARCHED = "nas"                                  # the searched net's model name in every table
CHAIN = ("baseline", "pruned", "finetuned", "int8")  # its stages through compression, in order
FINAL = "int8"                                    # the final model: the chain's last stage, as deployed
DEPLOYED_AS = "baseline_int8"                     # how every other net is deployed: its trained net in INT8
INT8_OF = {"baseline_int8": "baseline", "int8": "finetuned"}  # an INT8 stage -> the FP32 stage it is quantized from
FINAL_FILE = "int8.onnx"
# The spaces searched under a target's latency budget (search.space); the other, darts, is searched by NNI's DARTS
HARDWARE_AWARE_SPACES = ("mobile", "dense")


def final_stage(model: str) -> str:
    """The stage a model is deployed as: the chain's end for the searched net, its INT8 baseline otherwise."""
    return FINAL if model == SEARCHED else DEPLOYED_AS


def deployed_files(controls: list[str]) -> dict[str, dict[str, Any]]:
    """Every deployed ONNX file under results/models/, by name: its model, its stage, its precision and the
    checkpoint it comes from (MACs and parameters are counted on it)."""
    checkpoint = {"baseline": "baseline.pt", "pruned": "pruned.pt", "finetuned": "finetuned.pt", "int8": "finetuned.pt",
                  "baseline_int8": "baseline.pt"}
    files = {f"{stage}.onnx": {"model": SEARCHED, "stage": stage, "checkpoint": checkpoint[stage]}
             for stage in (*CHAIN, DEPLOYED_AS)}
    for control in controls:
        files[f"control_{control}.onnx"] = {"model": control, "stage": "baseline", "checkpoint": f"control_{control}.pt"}
        files[f"control_{control}_int8.onnx"] = {"model": control, "stage": DEPLOYED_AS,
                                                 "checkpoint": f"control_{control}.pt"}
    return {name: dict(f, precision="int8" if f["stage"] in INT8_OF else "fp32") for name, f in files.items()}


def quantized_from(controls: list[str]) -> dict[str, str]:
    """INT8 file -> the FP32 file it is quantized from; every other deployed file is exported from its checkpoint."""
    files = deployed_files(controls)
    return {name: next(n for n, g in files.items() if g["model"] == f["model"] and g["stage"] == INT8_OF[f["stage"]])
            for name, f in files.items() if f["stage"] in INT8_OF}
