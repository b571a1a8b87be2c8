"""What the student hands in: the paper (A4) and the slides (16:9) as PDF, typeset with Typst.

Both are written from ``study.Study`` (the same numbers and tables as the HTML report) in
English or Vietnamese (``report.language``); the numbers, tables and figures are shared.
Typst's Python package carries the compiler and its fonts (Libertinus Serif covers
Vietnamese), so nothing is fetched at build time.
"""
from __future__ import annotations

import math
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from . import analysis
from .study import Study

LANGUAGES = ("en", "vi")
SPECIAL = set("\\#$*_`<>@[]~=-+/'\"")


def esc(text: Any) -> str:
    """Plain text as Typst markup (every markup character escaped)."""
    return "".join("\\" + c if c in SPECIAL else c for c in str(text))


def num(value: Any, digits: int = 3, lang: str = "en") -> str:
    """A number for readers: significant digits, Vietnamese decimal comma."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, bool):
        return {"en": ("yes", "no"), "vi": ("có", "không")}[lang][0 if value else 1]
    if isinstance(value, (int,)) or float(value).is_integer() and abs(value) >= 100:
        text = f"{int(round(float(value))):,}"
        return text.replace(",", ".") if lang == "vi" else text
    text = f"{float(value):.{digits}g}"
    return text.replace(".", ",") if lang == "vi" else text


def pct(value: float, lang: str = "en") -> str:
    return num(100 * value, 4, lang) + " %"


def ms(value: float, lang: str = "en") -> str:
    text = f"{value:.3f}"
    return (text.replace(".", ",") if lang == "vi" else text) + " ms"


def times(ratio: float, lang: str, more: str = "faster", less: str = "slower") -> str:
    words = {"en": {"faster": "faster", "slower": "slower", "smaller": "smaller", "larger": "larger"},
             "vi": {"faster": "nhanh hơn", "slower": "chậm hơn", "smaller": "nhỏ hơn", "larger": "lớn hơn"}}[lang]
    return f"{num(ratio, 3, lang)}× {words[more]}" if ratio >= 1 else f"{num(1 / ratio, 3, lang)}× {words[less]}"


# ---- the prose, per language: every number is a placeholder filled from the study ----

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "Hardware-aware NAS and multi-stage compression for INT8 inference on {cpu}",
        "subtitle": "Did NAS find a better model, and what did compression add? A reproducible study with edgenas",
        "abstract_h": "Abstract",
        "abstract": (
            "We search a MobileNetV2-style space for a CIFAR-style image classifier under a latency budget of "
            "{budget} (INT8, batch 1, {threads} thread) measured on the target itself, then prune, fine-tune and "
            "quantize the searched net to INT8 and measure every model on the target. The searched net scores "
            "{base_acc} at {base_ms} in FP32; after pruning, fine-tuning and INT8 it scores {final_acc} at "
            "{final_ms}: {speed} and {smaller} at {points} points of accuracy. Against {controls} controls trained "
            "with the same recipe and quantized alike, {front}"),
        "front_yes": "the final model is on the accuracy-latency Pareto front of the deployed models.",
        "front_no": "the final model is not on the Pareto front: {dom} is at least as accurate and as fast.",
        "intro_h": "Introduction",
        "intro": (
            "Edge deployment asks two questions of neural architecture search (NAS): does the searched model beat "
            "models designed by hand or drawn at random, and how much do pruning, fine-tuning and quantization add "
            "on the actual hardware? Both are answered here with measurements on the target. A search that ignores "
            "the target's latency, in a space whose operations the target's INT8 kernels run slowly, can conclude "
            "that neither NAS nor INT8 helps; we therefore follow hardware-aware NAS (ProxylessNAS, FBNet, "
            "Once-for-All): latency measured on the device enters the search, in a space made for mobile CPUs, and "
            "every control is judged as it is deployed. Everything below was produced by one Snakemake workflow run "
            "(edgenas); every number is read from its result files."),
        "method_h": "Method",
        "space_h": "Search space",
        "strategy_h": "Search strategy and latency model",
        "compress_h": "Compression pipeline",
        "compress": (
            "The searched net is trained from scratch ({train}). Structured channel pruning with torch-pruning "
            "(DepGraph) removes {ratio} of the channels of every prunable group ({importance} importance, channel "
            "counts rounded to multiples of {round_to}), taking MACs from {macs0} to {macs1} and parameters from "
            "{params0} to {params1}. Fine-tuning ({finetune}) recovers the accuracy; ONNX Runtime's static "
            "quantization ({int8}) gives the INT8 model, calibrated on {calib} training images. Every control is "
            "trained with the same recipe and quantized with the same settings."),
        "setup_h": "Experimental setup",
        "setup": (
            "Data: {dataset} ({train_n} training images, {val_n} held out for validation, {test_n} test images, "
            "{size}×{size} pixels){lossy}. Hardware: {cpu}; latency is the median of {runs} batch-1 runs after "
            "{warmup} warm-up runs, the quietest of {rounds} passes over every model, in ONNX Runtime {ort}. Software versions are in the table below."),
        "lossy": "; the images are a JPEG copy, so accuracies run a little below those on the original release",
        "results_h": "Results",
        "stages_caption": "The searched net through the compression chain on {target} ({threads} thread).",
        "deployed_caption": "Every model as deployed on {target}: accuracy (standard error), latency, size.",
        "analysis_h": "Analysis",
        "nas_h": "Did NAS find a better model?",
        "nas": (
            "Judged as deployed, {front} With the same recipe and quantized alike, the searched net is "
            "{best_points} points {above} the best control ({best}), {noise} twice the combined standard error of "
            "the two test accuracies{randoms}."),
        "randoms": "; against the best of {n} random architectures of the space drawn under the same budget it is "
                   "{points} points {above} ({noise} twice the combined standard error)",
        "random_mean": (". Against their mean it is {points} points {above} (seed-to-seed spread {spread} points): "
                        "{verdict}"),
        "beats_random": "the search beat random (at least the best random net, at least 1 point above their mean)",
        "not_random": "the search did not beat random (that takes at least the best random net and 1 point above their mean)",
        "above": "above", "below": "below", "beyond": "beyond", "within": "within",
        "compression_h": "What did compression add?",
        "compression": (
            "From the FP32 baseline to the final INT8 model the searched net became {speed} and {smaller} at "
            "{points} points of accuracy ({threads} thread). INT8 alone (the unpruned net quantized) gives "
            "{alone_speed} and {alone_smaller}; pruning and fine-tuning add the rest."),
        "int8_kernels": (
            "Some INT8 files fell below the FP32 file they were quantized from by more than twice the standard "
            "error: {losses}. That is rarely the cost of quantization itself: ONNX Runtime's x86 kernels without VNNI "
            "(x86-avx2) add pairs of u8×s8 products into 16-bit lanes that saturate with 8-bit weights, so the same "
            "file scores lower there than on VNNI or Arm CPUs; 7-bit weights (quantize.reduce_range) avoid it."),
        "int8_loss": "{model} {stage} on {target} ({isa}): {points} points",
        "tta": (
            "Flip test-time augmentation (each image and its mirror, logits averaged), which the deployed model does "
            "not use, changes the final model's accuracy by {tta_points} points at {tta_latency} the latency."),
        "latency_h": "How good is the latency model?",
        "latency": (
            "On {n} sampled nets not used to fit it, the latency table predicts INT8 latency with rank correlation "
            "{rho} and a mean absolute percentage error of {mape} (FP32: {rho32}, {mape32})."),
        "limits_h": "Limitations",
        "limits": (
            "One seed per model: the standard errors cover the test set, not training noise, which the random "
            "controls' spread estimates only where several seeds were run. The recipe is short (a few epochs on a "
            "2-core CPU), so absolute accuracies sit well below published CIFAR-10 results and conclusions hold at "
            "this budget. {search_limit} Latencies are "
            "medians on one machine; other CPUs, ONNX Runtime versions and thread counts change them."),
        "conclusion_h": "Conclusion",
        "conclusion": (
            "Hardware-aware search put the searched net {front_short}; the compression chain made it {speed} and "
            "{smaller} than its FP32 baseline at {points} points. The workflow reruns the whole study from one "
            "command, and rebuilds only what a changed setting touches."),
        "front_short_yes": "on the Pareto front of the deployed models",
        "front_short_no": "behind {dom} on the deployed Pareto front",
        "refs_h": "References",
        "fig_arch": "The searched net.",
        "fig_lat": "The latency table against whole nets measured on the target.",
        "fig_tradeoff": "Accuracy against latency on {target}: every net in FP32 and INT8, and the deployed Pareto front.",
        "fig_gains": "Speed-up and size reduction of each compression stage over the FP32 baseline.",
        "fig_curves": "Training curves of every trained net against wall-clock minutes (one marker per epoch); "
                      "with controls, two trainings ran side by side on half the cores each.",
        "versions": "Software versions.",
        "slides_q": "The question", "slides_q1": "Did NAS find a better model for this CPU?",
        "slides_q2": "How much did pruning, fine-tuning and INT8 add, measured on the target?",
        "slides_space": "Search space", "slides_strategy": "Strategy",
        "slides_arch": "The searched net", "slides_chain": "Compression chain", "slides_results": "Results on {target}",
        "slides_a1": "Answer 1: did NAS help?", "slides_a2": "Answer 2: what did compression add?",
        "slides_lat": "Latency model check", "slides_take": "Take-aways", "slides_curves": "Training",
        "slides_limits": "Limitations",
        "col_model": "model", "col_stage": "stage", "col_acc": "accuracy", "col_se": "std. error",
        "col_ms": "latency p50", "col_mb": "size (MB)", "col_front": "Pareto", "col_speed": "speed-up",
        "col_small": "smaller", "col_points": "Δ accuracy (points)", "col_macs": "MACs (M)", "col_params": "params (k)",
        "col_package": "package", "col_version": "version",
        "layers_caption": "The searched net layer by layer, with each layer's latency timed alone on {target}.",
        "same_caption": "Same recipe, {how}: accuracy (standard error) and the difference to the searched net.",
        "same_fp32": "as trained (FP32)", "same_int8": "quantized alike (INT8 of each trained net)",
        "col_layer": "layer", "col_channels": "channels", "col_input": "input", "col_k": "k", "col_e": "e",
        "col_s": "stride", "col_diff": "vs NAS (points)", "col_noise": "beyond 2 SE",
        "fig_size": "Accuracy against file size on {target}.",
        "wiring": "Note: this run trained on {train_n} images and tested on {test_n}: its numbers are a wiring check, "
                  "not a result, and the differences below are not evidence about the methods.",
        "bullets_space": ["MobileNetV2's skeleton at CIFAR strides: stem, 7 stages, 1×1 conv, classifier",
                          "per stage: width and depth (blocks can be left out)",
                          "per block: inverted residual (depthwise 3×3 or 5×5), fused (full 3×3), expansion 3 or 6; or dense (two 3×3)",
                          "made for INT8 on CPUs: channels in multiples of 16; fused and dense blocks run on dense INT8 kernels",
                          "{count} nets; MobileNetV2-CIFAR is one of them"],
        "take_front": "deployed in INT8, the searched net is {front_short}",
        "take_same": "same recipe, quantized alike: {best_points} points {above} the best control ({best}), {noise} noise",
        "take_compress": "compression: {speed}, {smaller}, {points} points of accuracy",
        "take_latency": "latency table on the target: rank correlation {rho}, error {mape}",
    },
    "vi": {
        "title": "NAS nhận biết phần cứng và nén đa giai đoạn cho suy luận INT8 trên {cpu}",
        "subtitle": "NAS có tìm được mô hình tốt hơn không, và nén mang lại thêm bao nhiêu? Một nghiên cứu tái lập với edgenas",
        "abstract_h": "Tóm tắt",
        "abstract": (
            "Chúng tôi tìm kiếm trong một không gian kiểu MobileNetV2 một bộ phân loại ảnh kiểu CIFAR với ngân sách "
            "độ trễ {budget} (INT8, lô 1, {threads} luồng) đo ngay trên thiết bị đích, sau đó tỉa, tinh chỉnh và "
            "lượng tử hoá mạng tìm được sang INT8 và đo mọi mô hình trên thiết bị đích. Mạng tìm được đạt "
            "{base_acc} với {base_ms} ở FP32; sau tỉa, tinh chỉnh và INT8 nó đạt {final_acc} với {final_ms}: "
            "{speed} và {smaller}, thay đổi độ chính xác {points} điểm. So với {controls} mô hình đối chứng được huấn "
            "luyện cùng công thức và lượng tử hoá như nhau, {front}"),
        "front_yes": "mô hình cuối cùng nằm trên biên Pareto độ chính xác – độ trễ của các mô hình triển khai.",
        "front_no": "mô hình cuối cùng không nằm trên biên Pareto: {dom} chính xác ít nhất bằng và nhanh ít nhất bằng.",
        "intro_h": "Giới thiệu",
        "intro": (
            "Triển khai trên thiết bị biên đặt ra hai câu hỏi cho tìm kiếm kiến trúc mạng nơ-ron (NAS): mô hình tìm "
            "được có tốt hơn các mô hình thiết kế thủ công hoặc chọn ngẫu nhiên không, và tỉa, tinh chỉnh, lượng tử "
            "hoá mang lại thêm bao nhiêu trên phần cứng thực? Cả hai câu hỏi được trả lời ở đây bằng phép đo trên "
            "thiết bị đích. Một quá trình tìm kiếm bỏ qua độ trễ của thiết bị, trong một không gian mà các nhân INT8 "
            "của thiết bị chạy chậm, có thể kết luận rằng cả NAS lẫn INT8 đều vô ích; vì vậy chúng tôi theo hướng "
            "NAS nhận biết phần cứng (ProxylessNAS, FBNet, Once-for-All): độ trễ đo trên thiết bị đi vào quá trình tìm "
            "kiếm, trong một không gian dành cho CPU di động, và mọi mô hình đối chứng được đánh giá như khi triển "
            "khai. Mọi kết quả dưới đây do một lần chạy quy trình Snakemake (edgenas) tạo ra; mọi con số được đọc từ "
            "các tệp kết quả của nó."),
        "method_h": "Phương pháp",
        "space_h": "Không gian tìm kiếm",
        "strategy_h": "Chiến lược tìm kiếm và mô hình độ trễ",
        "compress_h": "Quy trình nén",
        "compress": (
            "Mạng tìm được được huấn luyện từ đầu ({train}). Tỉa kênh có cấu trúc bằng torch-pruning (DepGraph) bỏ "
            "{ratio} số kênh của mỗi nhóm có thể tỉa (độ quan trọng {importance}, số kênh làm tròn theo bội số của "
            "{round_to}), đưa số MAC từ {macs0} xuống {macs1} và số tham số từ {params0} xuống {params1}. Tinh chỉnh "
            "({finetune}) khôi phục độ chính xác; lượng tử hoá tĩnh của ONNX Runtime ({int8}) cho mô hình INT8, hiệu "
            "chỉnh trên {calib} ảnh huấn luyện. Mọi mô hình đối chứng được huấn luyện cùng công thức và lượng tử hoá "
            "với cùng thiết lập."),
        "setup_h": "Thiết lập thí nghiệm",
        "setup": (
            "Dữ liệu: {dataset} ({train_n} ảnh huấn luyện, {val_n} ảnh giữ lại để kiểm định, {test_n} ảnh kiểm tra, "
            "{size}×{size} điểm ảnh){lossy}. Phần cứng: {cpu}; độ trễ là trung vị của {runs} lần chạy với lô 1 sau "
            "{warmup} lần chạy khởi động, lấy lượt đo ổn định nhất trong {rounds} lượt qua mọi mô hình, trong ONNX Runtime {ort}. Phiên bản phần mềm nằm ở bảng dưới đây."),
        "lossy": "; ảnh là bản sao nén JPEG nên độ chính xác thấp hơn một chút so với bản gốc",
        "results_h": "Kết quả",
        "stages_caption": "Mạng tìm được qua chuỗi nén trên {target} ({threads} luồng).",
        "deployed_caption": "Mọi mô hình khi triển khai trên {target}: độ chính xác (sai số chuẩn), độ trễ, kích thước.",
        "analysis_h": "Phân tích",
        "nas_h": "NAS có tìm được mô hình tốt hơn không?",
        "nas": (
            "Khi đánh giá như lúc triển khai, {front} Với cùng công thức huấn luyện và lượng tử hoá như nhau, mạng "
            "tìm được {above} mô hình đối chứng tốt nhất ({best}) {best_points} điểm, {noise} hai lần sai số chuẩn "
            "kết hợp của hai độ chính xác kiểm tra{randoms}."),
        "randoms": "; so với kiến trúc tốt nhất trong {n} kiến trúc ngẫu nhiên của không gian lấy dưới cùng ngân sách, "
                   "nó {above} {points} điểm ({noise} hai lần sai số chuẩn kết hợp)",
        "random_mean": (". So với trung bình của chúng, nó {above} {points} điểm (độ phân tán giữa các hạt giống "
                        "{spread} điểm): {verdict}"),
        "beats_random": ("tìm kiếm đã thắng lấy mẫu ngẫu nhiên (ít nhất bằng mạng ngẫu nhiên tốt nhất và cao hơn "
                         "trung bình của chúng ít nhất 1 điểm)"),
        "not_random": ("tìm kiếm chưa thắng lấy mẫu ngẫu nhiên (điều đó cần ít nhất bằng mạng ngẫu nhiên tốt nhất và "
                       "cao hơn trung bình của chúng 1 điểm)"),
        "above": "cao hơn", "below": "thấp hơn", "beyond": "vượt quá", "within": "nằm trong",
        "compression_h": "Nén mang lại thêm bao nhiêu?",
        "compression": (
            "Từ mô hình gốc FP32 đến mô hình INT8 cuối cùng, mạng tìm được trở nên {speed} và {smaller}, thay đổi độ "
            "chính xác {points} điểm ({threads} luồng). Riêng INT8 (mạng chưa tỉa được lượng tử hoá) cho "
            "{alone_speed} và {alone_smaller}; tỉa và tinh chỉnh đóng góp phần còn lại."),
        "int8_kernels": (
            "Một số tệp INT8 thấp hơn tệp FP32 mà chúng được lượng tử hoá từ đó quá hai lần sai số chuẩn: {losses}. "
            "Đó hiếm khi là cái giá của chính việc lượng tử hoá: các nhân x86 của ONNX Runtime không có VNNI "
            "(x86-avx2) cộng từng cặp tích u8×s8 vào các làn 16 bit, vốn bị bão hoà với trọng số 8 bit, nên cùng một "
            "tệp cho điểm thấp hơn ở đó so với trên CPU có VNNI hoặc Arm; trọng số 7 bit (quantize.reduce_range) "
            "tránh được điều này."),
        "int8_loss": "{model} {stage} trên {target} ({isa}): {points} điểm",
        "tta": (
            "Tăng cường lúc suy luận bằng lật ảnh (mỗi ảnh và ảnh lật gương của nó, lấy trung bình logit), điều mà mô "
            "hình triển khai không dùng, thay đổi độ chính xác của mô hình cuối cùng {tta_points} điểm với độ trễ "
            "gấp {tta_latency} lần."),
        "latency_h": "Mô hình độ trễ tốt đến đâu?",
        "latency": (
            "Trên {n} mạng lấy mẫu không dùng để khớp, bảng độ trễ dự đoán độ trễ INT8 với hệ số tương quan hạng "
            "{rho} và sai số phần trăm tuyệt đối trung bình {mape} (FP32: {rho32}, {mape32})."),
        "limits_h": "Hạn chế",
        "limits": (
            "Mỗi mô hình một hạt giống ngẫu nhiên: sai số chuẩn phản ánh tập kiểm tra, không phản ánh nhiễu huấn "
            "luyện; độ phân tán của các kiến trúc ngẫu nhiên chỉ ước lượng nhiễu này khi chạy nhiều hạt giống. Công "
            "thức huấn luyện ngắn (vài epoch trên CPU 2 nhân), nên độ chính xác tuyệt đối thấp hơn nhiều so với các "
            "kết quả CIFAR-10 đã công bố và kết luận chỉ đúng ở ngân sách này. {search_limit} Độ trễ là trung vị trên một máy; CPU, phiên bản ONNX Runtime và số "
            "luồng khác sẽ cho kết quả khác."),
        "conclusion_h": "Kết luận",
        "conclusion": (
            "Tìm kiếm nhận biết phần cứng đặt mạng tìm được {front_short}; chuỗi nén làm nó {speed} và {smaller} so "
            "với mô hình gốc FP32, thay đổi độ chính xác {points} điểm. Quy trình chạy lại toàn bộ nghiên cứu bằng một "
            "lệnh, và chỉ tính lại những gì một thiết lập thay đổi ảnh hưởng tới."),
        "front_short_yes": "trên biên Pareto của các mô hình triển khai",
        "front_short_no": "sau {dom} trên biên Pareto của các mô hình triển khai",
        "refs_h": "Tài liệu tham khảo",
        "fig_arch": "Mạng tìm được.",
        "fig_lat": "Bảng độ trễ so với các mạng đầy đủ đo trên thiết bị đích.",
        "fig_tradeoff": "Độ chính xác theo độ trễ trên {target}: mọi mạng ở FP32 và INT8, cùng biên Pareto khi triển khai.",
        "fig_gains": "Mức tăng tốc và giảm kích thước của từng giai đoạn nén so với mô hình gốc FP32.",
        "fig_curves": "Đường cong huấn luyện của mọi mạng theo số phút thực tế (mỗi điểm là một epoch); "
                      "khi có mô hình đối chứng, hai lần huấn luyện chạy song song, mỗi lần trên một nửa số nhân.",
        "versions": "Phiên bản phần mềm.",
        "slides_q": "Câu hỏi", "slides_q1": "NAS có tìm được mô hình tốt hơn cho CPU này không?",
        "slides_q2": "Tỉa, tinh chỉnh và INT8 mang lại thêm bao nhiêu, đo trên thiết bị đích?",
        "slides_space": "Không gian tìm kiếm", "slides_strategy": "Chiến lược",
        "slides_arch": "Mạng tìm được", "slides_chain": "Chuỗi nén", "slides_results": "Kết quả trên {target}",
        "slides_a1": "Trả lời 1: NAS có giúp ích không?", "slides_a2": "Trả lời 2: nén mang lại thêm bao nhiêu?",
        "slides_lat": "Kiểm tra mô hình độ trễ", "slides_take": "Điều cần nhớ", "slides_curves": "Huấn luyện",
        "slides_limits": "Hạn chế",
        "col_model": "mô hình", "col_stage": "giai đoạn", "col_acc": "độ chính xác", "col_se": "sai số chuẩn",
        "col_ms": "độ trễ p50", "col_mb": "kích thước (MB)", "col_front": "Pareto", "col_speed": "tăng tốc",
        "col_small": "nhỏ hơn", "col_points": "Δ độ chính xác (điểm)", "col_macs": "MAC (triệu)",
        "col_params": "tham số (nghìn)", "col_package": "gói", "col_version": "phiên bản",
        "layers_caption": "Mạng tìm được theo từng lớp, kèm độ trễ của mỗi lớp đo riêng trên {target}.",
        "same_caption": "Cùng công thức, {how}: độ chính xác (sai số chuẩn) và chênh lệch so với mạng tìm được.",
        "same_fp32": "khi vừa huấn luyện (FP32)", "same_int8": "lượng tử hoá như nhau (INT8 của từng mạng)",
        "col_layer": "lớp", "col_channels": "số kênh", "col_input": "đầu vào", "col_k": "k", "col_e": "e",
        "col_s": "bước", "col_diff": "so với NAS (điểm)", "col_noise": "vượt 2 SE",
        "fig_size": "Độ chính xác theo kích thước tệp trên {target}.",
        "wiring": "Lưu ý: lần chạy này chỉ huấn luyện trên {train_n} ảnh và kiểm tra trên {test_n} ảnh: các con số chỉ "
                  "dùng để kiểm tra quy trình, không phải kết quả, và các chênh lệch dưới đây không chứng minh gì về "
                  "các phương pháp.",
        "bullets_space": ["bộ khung MobileNetV2 với bước nhảy CIFAR: lớp gốc, 7 tầng, tích chập 1×1, bộ phân loại",
                          "mỗi tầng: độ rộng và độ sâu (có thể bỏ bớt khối)",
                          "mỗi khối: khối dư ngược (chiều sâu 3×3 hoặc 5×5), khối hợp nhất (3×3 đầy đủ), mở rộng 3 hoặc 6; hoặc khối dày (hai 3×3)",
                          "dành cho INT8 trên CPU: số kênh là bội số của 16; khối hợp nhất và khối dày chạy trên nhân INT8 dày",
                          "{count} mạng; MobileNetV2-CIFAR là một trong số đó"],
        "take_front": "khi triển khai INT8, mạng tìm được nằm {front_short}",
        "take_same": "cùng công thức, lượng tử hoá như nhau: {above} mô hình đối chứng tốt nhất ({best}) {best_points} điểm, {noise} nhiễu",
        "take_compress": "nén: {speed}, {smaller}, thay đổi độ chính xác {points} điểm",
        "take_latency": "bảng độ trễ trên thiết bị đích: tương quan hạng {rho}, sai số {mape}",
    },
}

SPACE_TEXT = {
    "en": (
        "MobileNetV2's skeleton for {size}×{size} inputs: a 3×3 stem, seven stages of blocks at CIFAR strides, a "
        "1×1 convolution, pooling and a classifier. Searched: the width of the stem, of every stage and of the last "
        "convolution, the depth of every stage (blocks after a stage's first may be left out), and per block its "
        "type, kernel (3 or 5) and expansion ratio (3 or 6). A block is MobileNetV2's inverted residual (1×1 "
        "expansion, depthwise k×k, 1×1 projection), its fused form (a full 3×3 expansion, then 1×1; EfficientNetV2, "
        "MobileDets) or airbench94's dense group (two full 3×3 convolutions, a max-pool where the stage strides), "
        "which do more arithmetic, but on dense kernels, where ONNX Runtime's INT8 convolutions gain most over FP32. Expanded channels are multiples of 16; MobileNetV2-CIFAR is a point of the space, which "
        "holds {count} nets."),
    "vi": (
        "Bộ khung của MobileNetV2 cho ảnh đầu vào {size}×{size}: một lớp gốc 3×3, bảy tầng khối với bước nhảy kiểu "
        "CIFAR, một tích chập 1×1, phép gộp và bộ phân loại. Các lựa chọn được tìm kiếm: độ rộng của lớp gốc, của mỗi "
        "tầng và của tích chập cuối, độ sâu của mỗi tầng (các khối sau khối đầu tiên của tầng có thể bỏ đi), và với "
        "mỗi khối là loại khối, kích thước nhân (3 hoặc 5) và hệ số mở rộng (3 hoặc 6). Một khối là khối dư ngược của "
        "MobileNetV2 (mở rộng 1×1, tích chập theo chiều sâu k×k, chiếu 1×1), dạng hợp nhất của nó (mở rộng bằng "
        "tích chập đầy đủ 3×3 rồi 1×1; EfficientNetV2, MobileDets) hoặc nhóm dày của airbench94 (hai tích chập đầy đủ "
        "3×3, gộp cực đại ở tầng có bước nhảy), tốn nhiều phép tính hơn nhưng chạy trên nhân "
        "tích chập dày, nơi tích chập INT8 của ONNX Runtime nhanh hơn FP32 nhiều nhất. Số kênh mở rộng là bội số của "
        "16; MobileNetV2-CIFAR là một điểm của không gian, vốn chứa {count} mạng."),
}

# What the paper and slides say of the strategy that searched: its paragraph (the latency model's
# sentences, LATENCY_MODEL_TEXT, follow it), its slide's title and bullets, the caption of its figure
# (population.png) in the paper and its slide's title, and its sentence in the limitations.
STRATEGY_TEXT = {
    "halving": {
        "en": {
            "text": (
                "Successive halving over short trainings (Jamieson & Talwalkar 2016; Li et al. 2018), on NNI's model "
                "space and sampler: {draws} architectures are drawn among those the target's latency table puts between "
                "{fill} of the budget of {budget} and the budget (nets that use the budget, not merely fit under it) and "
                "ranked by a cheap score ({prerank}). The best {candidates} each train one epoch with the workflow's own "
                "recipe on {first} training images (the same images, initial seed and batch order for every candidate) "
                "and are scored on the {val} validation images; each round keeps the best 1/{eta} and trains them again "
                "from scratch on {eta} times the images, up to {last} candidates on {last_images} images. The best of "
                "the last round is trained from scratch like every net. {stability}"),
            "stability": "Between the last two rounds the candidates' ranking held with a rank correlation of {rho} ({n} nets).",
            "title": "Strategy: successive halving under the budget",
            "bullets": ["latency table: {layers} layer configurations timed on the target, FP32 and INT8",
                        "{draws} nets drawn between {fill} and 100 % of {budget}; the best {candidates} by {prerank} race",
                        "each round: one epoch of the training recipe per candidate, the best 1/{eta} go on: {funnel}",
                        "the best of the last round trained from scratch; search took {seconds} s"],
            "figure": ("The search's funnel: each round's candidates and their validation accuracy, and every candidate "
                       "against its predicted INT8 latency."),
            "slide": "The search's funnel: rounds and latency",
            "limit": ("The search ranks candidates after one epoch on part of the training images, which need not rank "
                      "them as the full recipe does."),
        },
        "vi": {
            "text": (
                "Chia đôi liên tiếp trên các lần huấn luyện ngắn (Jamieson & Talwalkar 2016; Li và cộng sự 2018), trên "
                "không gian mô hình và bộ lấy mẫu của NNI: {draws} kiến trúc được lấy mẫu trong số những kiến trúc mà "
                "bảng độ trễ của thiết bị đích dự đoán nằm giữa {fill} ngân sách {budget} và chính ngân sách đó (các "
                "mạng tận dụng ngân sách, không chỉ nằm dưới nó), rồi được xếp hạng theo một điểm số rẻ ({prerank}). "
                "{candidates} ứng viên tốt nhất, mỗi ứng viên được huấn luyện một epoch bằng chính công thức huấn luyện "
                "của quy trình trên {first} ảnh huấn luyện (cùng ảnh, cùng hạt giống khởi tạo và cùng thứ tự lô cho mọi "
                "ứng viên) và được chấm điểm trên {val} ảnh kiểm định; mỗi vòng giữ lại 1/{eta} tốt nhất và huấn luyện "
                "lại từ đầu trên số ảnh gấp {eta} lần, cho đến {last} ứng viên trên {last_images} ảnh. Ứng viên tốt nhất "
                "của vòng cuối được huấn luyện từ đầu như mọi mạng khác. {stability}"),
            "stability": "Giữa hai vòng cuối, thứ hạng các ứng viên giữ tương quan hạng {rho} ({n} mạng).",
            "title": "Chiến lược: chia đôi liên tiếp dưới ngân sách",
            "bullets": ["bảng độ trễ: {layers} cấu hình lớp đo trên thiết bị đích, FP32 và INT8",
                        "{draws} mạng lấy mẫu giữa {fill} và 100 % của {budget}; {candidates} mạng tốt nhất theo {prerank} thi đấu",
                        "mỗi vòng: một epoch của công thức huấn luyện cho mỗi ứng viên, 1/{eta} tốt nhất đi tiếp: {funnel}",
                        "ứng viên tốt nhất của vòng cuối được huấn luyện từ đầu; tìm kiếm mất {seconds} giây"],
            "figure": ("Phễu tìm kiếm: các ứng viên của mỗi vòng và độ chính xác kiểm định của chúng, và mọi ứng viên "
                       "theo độ trễ INT8 dự đoán."),
            "slide": "Phễu tìm kiếm: các vòng và độ trễ",
            "limit": ("Tìm kiếm xếp hạng ứng viên sau một epoch trên một phần ảnh huấn luyện, thứ hạng này không nhất "
                      "thiết trùng với thứ hạng sau toàn bộ công thức huấn luyện."),
        },
    },
    "spos": {
        "en": {
            "text": (
                "Single-path one-shot search (SPOS; NNI's RandomOneShot) trains a supernet that holds every block's "
                "weights, shared between kernels, expansions and widths, one sampled architecture per batch ({epochs} "
                "epochs on {images} training images), sampling only architectures that the target's latency table puts "
                "within the budget of {budget}. Regularized evolution (NNI's RegularizedEvolution; population "
                "{population}, tournaments of {sample}) then scores {candidates} candidates with the supernet's weights "
                "on {val} held-out training images after re-estimating each candidate's batch-norm statistics; mutations "
                "over the budget are discarded unscored. The best candidate is trained from scratch."),
            "title": "Strategy: SPOS + evolution under the budget",
            "bullets": ["latency table: {layers} layer configurations timed on the target, FP32 and INT8",
                        "SPOS supernet: one sampled path per batch, only paths within {budget}",
                        "regularized evolution: {candidates} candidates scored with shared weights",
                        "best candidate trained from scratch; search took {seconds} s"],
            "figure": "Candidates scored by the evolution, against predicted INT8 latency.",
            "slide": "Candidates of the evolution",
            "limit": "The supernet is trained briefly, so its ranking of candidates is noisy.",
        },
        "vi": {
            "text": (
                "Tìm kiếm một lần đường đơn (SPOS; RandomOneShot của NNI) huấn luyện một siêu mạng chứa trọng số của "
                "mọi khối, dùng chung giữa các kích thước nhân, hệ số mở rộng và độ rộng, mỗi lô một kiến trúc được lấy "
                "mẫu ({epochs} epoch trên {images} ảnh huấn luyện), chỉ lấy những kiến trúc mà bảng độ trễ của thiết bị "
                "đích dự đoán nằm trong ngân sách {budget}. Sau đó thuật toán tiến hoá có điều chuẩn (RegularizedEvolution "
                "của NNI; quần thể {population}, giải đấu {sample}) chấm điểm {candidates} ứng viên bằng trọng số của "
                "siêu mạng trên {val} ảnh huấn luyện giữ lại, sau khi ước lượng lại thống kê chuẩn hoá theo lô của từng "
                "ứng viên; các đột biến vượt ngân sách bị loại mà không chấm điểm. Ứng viên tốt nhất được huấn luyện "
                "từ đầu."),
            "title": "Chiến lược: SPOS + tiến hoá dưới ngân sách",
            "bullets": ["bảng độ trễ: {layers} cấu hình lớp đo trên thiết bị đích, FP32 và INT8",
                        "siêu mạng SPOS: mỗi lô một đường lấy mẫu, chỉ các đường trong {budget}",
                        "tiến hoá có điều chuẩn: {candidates} ứng viên chấm điểm bằng trọng số dùng chung",
                        "ứng viên tốt nhất được huấn luyện từ đầu; tìm kiếm mất {seconds} giây"],
            "figure": "Các ứng viên được thuật toán tiến hoá chấm điểm, theo độ trễ INT8 dự đoán.",
            "slide": "Các ứng viên của thuật toán tiến hoá",
            "limit": "Siêu mạng được huấn luyện ngắn nên thứ hạng các ứng viên còn nhiễu.",
        },
    },
}

LATENCY_MODEL_TEXT = {
    "en": (
        " The latency table times each of the space's {layers} layer configurations alone on the target in FP32 and "
        "INT8 (the deployed quantization settings); a net's latency is the sum of its layers, corrected by a "
        "least-squares fit on {cal} whole nets timed on the target. The search took {seconds} s."),
    "vi": (
        " Bảng độ trễ đo riêng từng cấu hình trong {layers} cấu hình lớp của không gian trên thiết bị đích ở FP32 và "
        "INT8 (thiết lập lượng tử hoá khi triển khai); độ trễ của một mạng là tổng độ trễ các lớp, được hiệu chỉnh "
        "bằng bình phương tối thiểu trên {cal} mạng đầy đủ đo trên thiết bị. Quá trình tìm kiếm mất {seconds} giây."),
}

REFERENCES = [
    "H. Cai, L. Zhu, S. Han. ProxylessNAS: Direct neural architecture search on target task and hardware. ICLR 2019.",
    "H. Cai, C. Gan, T. Wang, Z. Zhang, S. Han. Once-for-All: Train one network and specialize it for efficient "
    "deployment. ICLR 2020.",
    "Z. Guo et al. Single path one-shot neural architecture search with uniform sampling. ECCV 2020.",
    "E. Real, A. Aggarwal, Y. Huang, Q. V. Le. Regularized evolution for image classifier architecture search. AAAI 2019.",
    "B. Wu et al. FBNet: Hardware-aware efficient ConvNet design via differentiable NAS. CVPR 2019.",
    "M. Sandler et al. MobileNetV2: Inverted residuals and linear bottlenecks. CVPR 2018.",
    "M. Tan, Q. V. Le. EfficientNetV2: Smaller models and faster training. ICML 2021.",
    "Y. Xiong et al. MobileDets: Searching for object detection architectures for mobile accelerators. CVPR 2021.",
    "H. Liu, K. Simonyan, Y. Yang. DARTS: Differentiable architecture search. ICLR 2019.",
    "G. Fang et al. DepGraph: Towards any structural pruning (Torch-Pruning). CVPR 2023.",
    "Microsoft. Neural Network Intelligence (NNI) 3.0; ONNX Runtime; Snakemake (Mölder et al., F1000Research 2021).",
    "A. Krizhevsky. Learning multiple layers of features from tiny images (CIFAR-10). 2009.",
]

DARTS_TEXT = {
    "en": ("NNI's DARTS cell space: a cell is a graph of {nodes} nodes, each summing two edges that pick an input "
           "and one of {ops} operations; normal cells keep the resolution, reduction cells halve it.",
           "First-order DARTS relaxes each edge's choice to a softmax over its operations and learns the mixing "
           "weights by gradient descent on half of {images} images while the supernet's weights train on the "
           "other half ({epochs} epochs, {seconds} s)."),
    "vi": ("Không gian ô DARTS của NNI: một ô là đồ thị {nodes} nút, mỗi nút cộng hai cạnh, mỗi cạnh chọn một đầu vào "
           "và một trong {ops} phép toán; ô thường giữ nguyên độ phân giải, ô giảm chiều giảm một nửa.",
           "DARTS bậc nhất nới lỏng lựa chọn trên mỗi cạnh thành softmax trên các phép toán và học trọng số trộn bằng "
           "gradient trên một nửa của {images} ảnh, trong khi trọng số siêu mạng học trên nửa còn lại ({epochs} "
           "epoch, {seconds} giây)."),
}


class Writer:
    """Typst source, built block by block."""

    def __init__(self, lang: str):
        self.lang, self.parts = lang, []

    def raw(self, text: str) -> None:
        self.parts.append(text)

    def h(self, level: int, text: str) -> None:
        self.parts.append(f"{'=' * level} {esc(text)}\n")

    def p(self, text: str) -> None:
        self.parts.append(esc(text) + "\n")

    def figure(self, path: Path, caption: str, width: str = "100%") -> None:
        self.parts.append(f'#figure(image("{path.as_posix()}", width: {width}), caption: [{esc(caption)}])\n')

    def table(self, frame: pd.DataFrame, caption: str | None = None, size: str = "8.5pt") -> None:
        cells = ", ".join(f"[*{esc(c)}*]" for c in frame.columns)
        body = ", ".join(f"[{esc(v)}]" for row in frame.itertuples(index=False) for v in row)
        align = ", ".join("left" if i == 0 else "right" for i in range(len(frame.columns)))
        table = (f"#text(size: {size})[#table(columns: {len(frame.columns)}, align: ({align},), stroke: 0.4pt + gray, "
                 f"inset: 3pt, table.header({cells}), {body})]")
        if caption:
            self.parts.append(f"#figure({table[1:]}, caption: [{esc(caption)}], kind: table)\n")
        else:
            self.parts.append(table + "\n")

    def source(self) -> str:
        return "\n".join(self.parts)


def stage_table(study: Study, t: dict[str, str], lang: str) -> pd.DataFrame:
    """The searched net through the compression chain at one thread, for readers."""
    steps = analysis.compression_steps(study.bench())
    one = steps[steps.threads == steps.threads.min()]
    bench = study.bench()
    macs = {r.stage: r.macs for r in bench[(bench.model == "nas")].itertuples()}
    return pd.DataFrame({t["col_stage"]: one.stage, t["col_acc"]: [pct(v, lang) for v in one.accuracy],
                         t["col_ms"]: [ms(v, lang) for v in one["p50 ms"]],
                         t["col_speed"]: [num(v, 3, lang) + "×" for v in one["speed-up (total)"]],
                         t["col_mb"]: [num(v, 3, lang) for v in one.size_mb],
                         t["col_small"]: [num(v, 3, lang) + "×" for v in one["smaller (total)"]],
                         t["col_macs"]: [num(macs[s] / 1e6, 3, lang) for s in one.stage],
                         t["col_points"]: [num(v, 3, lang) for v in one["accuracy change (points)"]]})


def deployed_table(study: Study, t: dict[str, str], lang: str) -> pd.DataFrame:
    d = analysis.deployed_models(study.bench())
    return pd.DataFrame({t["col_model"]: d.model, t["col_stage"]: d.stage,
                         t["col_acc"]: [f"{pct(a, lang)} (± {num(100 * s, 2, lang)})" for a, s in zip(d.accuracy, d["std error"])],
                         t["col_ms"]: [ms(v, lang) for v in d["p50 ms"]], t["col_mb"]: [num(v, 3, lang) for v in d.size_mb],
                         t["col_front"]: [num(bool(v), lang=lang) for v in d["on Pareto front"]]})


def layer_table(study: Study, t: dict[str, str], lang: str) -> pd.DataFrame:
    """The searched mobile net layer by layer, with each layer's latency in the target's table."""
    table = study.table
    rows = []
    for layer in study.result.genotype.layers(table.image_size, table.num_classes):
        timed = table.layers[layer.key]
        rows.append({t["col_layer"]: layer.kind, t["col_channels"]: f"{layer.cin} → {layer.cout}",
                     t["col_input"]: f"{layer.resolution}×{layer.resolution}", t["col_k"]: layer.kernel,
                     t["col_e"]: layer.expansion if layer.kind in ("mbconv", "fused") else "", t["col_s"]: layer.stride,
                     "FP32 (µs)": num(1000 * timed["fp32"], 3, lang), "INT8 (µs)": num(1000 * timed["int8"], 3, lang)})
    return pd.DataFrame(rows)


def same_recipe_table(study: Study, stage: str, t: dict[str, str], lang: str) -> pd.DataFrame:
    v = analysis.nas_vs_controls(study.bench(), stage)
    return pd.DataFrame({t["col_model"]: v.model,
                         t["col_acc"]: [f"{pct(a, lang)} (± {num(100 * e, 2, lang)})" for a, e in zip(v.accuracy, v["std error"])],
                         t["col_diff"]: [num(d, 3, lang) for d in v["vs NAS (points)"]],
                         t["col_noise"]: ["" if b is None else num(bool(b), lang=lang) for b in v["beyond noise"]],
                         t["col_ms"]: [ms(x, lang) for x in v["p50 ms"]], t["col_mb"]: [num(x, 3, lang) for x in v.size_mb]})


def facts(study: Study, lang: str) -> dict[str, str]:
    """Every number the prose states, formatted for ``lang``."""
    t = TEXT[lang]
    h = study.headline()
    s = study.result.search
    bench = study.bench()
    train_n, val_n = study.split_sizes
    dom = h["dominated_by"] or ""
    f = {"cpu": f"{bench.cpu.iloc[0]} ({bench.isa.iloc[0]})", "threads": str(h["threads"]), "target": h["target"],
         "base_acc": pct(h["baseline_accuracy"], lang), "base_ms": ms(h["baseline_ms"], lang),
         "final_acc": pct(h["final_accuracy"], lang), "final_ms": ms(h["final_ms"], lang),
         "speed": times(h["speedup"], lang), "smaller": times(h["smaller"], lang, "smaller", "larger"),
         "points": num(h["accuracy_change"], 3, lang), "controls": str(h["controls"]),
         "front": t["front_yes"] if h["on_front"] else t["front_no"].format(dom=dom),
         "front_short": t["front_short_yes"] if h["on_front"] else t["front_short_no"].format(dom=dom),
         "budget": budget_text(s, lang),
         "train_n": num(train_n, lang=lang), "val_n": num(val_n, lang=lang), "test_n": num(study.test_images, lang=lang),
         "size": str(study.stats["image_size"]), "dataset": study.stats["source"]["dataset"],
         "ort": str(bench.onnxruntime.iloc[0]), "runs": str(study.settings["bench"]["runs"]),
         "warmup": str(study.settings["bench"]["warmup"]), "rounds": str(study.settings["bench"]["rounds"]),
         "lossy": t["lossy"] if any(k in (".jpg", ".jpeg") for k in study.stats["source"]["formats"]) else ""}
    if "best_control" in h:
        f.update(best=h["best_control"], best_points=num(abs(h["best_control_points"]), 3, lang),
                 above=t["above"] if h["best_control_points"] >= 0 else t["below"],
                 noise=t["beyond"] if h["beyond_noise"] else t["within"])
        f["randoms"] = "" if "randoms" not in h else t["randoms"].format(
            n=h["randoms"], points=num(abs(h["best_random_points"]), 3, lang),
            above=t["above"] if h["best_random_points"] >= 0 else t["below"],
            noise=t["beyond"] if h["random_beyond_noise"] else t["within"])
        if h.get("randoms", 0) > 1:
            f["randoms"] += t["random_mean"].format(
                points=num(abs(h["random_mean_points"]), 3, lang),
                above=t["above"] if h["random_mean_points"] >= 0 else t["below"],
                spread=num(100 * h["random_spread"], 2, lang),
                verdict=t["beats_random"] if h["beats_random"] else t["not_random"])
    if "int8_alone_speedup" in h:
        f.update(alone_speed=times(h["int8_alone_speedup"], lang),
                 alone_smaller=times(h["int8_alone_smaller"], lang, "smaller", "larger"))
    if "flip_tta_points" in h:
        f.update(tta_points=("+" if h["flip_tta_points"] > 0 else "") + num(h["flip_tta_points"], 2, lang),
                 tta_latency=num(h["flip_tta_latency"], 3, lang) + ("×" if lang == "en" else ""))
    return f


def strategy_facts(study: Study, lang: str, f: dict[str, str]) -> dict[str, Any]:
    """The values the mobile space's strategy texts (STRATEGY_TEXT) are filled with."""
    s = study.result.search
    values = dict(budget=f["budget"], candidates=s["candidates"], val=num(s["val_images"], lang=lang),
                  layers=len(study.table.layers), cal=study.table.checks["calibration_nets"],
                  seconds=num(s["seconds"], 4, lang))
    if study.result.strategy == "spos":
        return dict(values, epochs=s["epochs"], images=num(s["images"], lang=lang), population=s["population"],
                    sample=s["sample_size"])
    raced = [sum(len(c["rounds"]) > r for c in study.result.population) for r in range(len(s["rounds"]))]
    arrow = " → "
    last = s["stability"][-1] if s["stability"] else None
    stability = (STRATEGY_TEXT["halving"][lang]["stability"].format(rho=num(last["spearman"], 2, lang), n=last["candidates"])
                 if last and last["spearman"] is not None else "")
    return dict(values, draws=s["draws"], fill=pct(s["fill"], lang), prerank=s["prerank"], eta=s["eta"],
                first=num(s["rounds"][0], lang=lang), last=raced[-1], last_images=num(s["rounds"][-1], lang=lang),
                funnel=arrow.join(map(str, raced)) + " " + ("nets" if lang == "en" else "mạng"), stability=stability)


def method(study: Study, lang: str, f: dict[str, str]) -> tuple[str, str]:
    """The space's and the strategy's paragraph."""
    r, s = study.result, study.result.search
    if r.space == "mobile":
        from .spaces.mobile import space_size

        values = strategy_facts(study, lang, f)
        return (SPACE_TEXT[lang].format(size=f["size"], count=f"{space_size():.1e}".replace(".", "," if lang == "vi" else ".")),
                STRATEGY_TEXT[r.strategy][lang]["text"].format(**values).rstrip()
                + LATENCY_MODEL_TEXT[lang].format(**values))
    space = r.space_settings
    return (DARTS_TEXT[lang][0].format(nodes=space["nodes_per_cell"], ops=len(space["ops"])),
            DARTS_TEXT[lang][1].format(images=num(s["images"], lang=lang), epochs=s["epochs"],
                                       seconds=num(s["seconds"], 4, lang)))


def search_limit(study: Study, lang: str) -> str:
    """The search's own sentence in the limitations (none for DARTS)."""
    strategy = study.result.strategy
    return STRATEGY_TEXT[strategy][lang]["limit"] if strategy in STRATEGY_TEXT else ""


def compression_settings(study: Study, lang: str) -> dict[str, str]:
    p, fin, q, tr = study.prune, study.settings["finetune"], study.settings["quantize"], study.settings["train"]
    epochs, batch = {"en": ("epochs", "batch"), "vi": ("epoch", "lô")}[lang]
    return {"train": f"{tr['epochs']} {epochs}, {batch} {tr['batch_size']}, SGD {tr['schedule']} "
                     f"{num(tr['learning_rate'], 3, lang)}",
            "ratio": f"{num(100 * p['ratio'], 3, lang)} %", "importance": p["importance"].upper(),
            "round_to": str(p["round_to"]), "macs0": num(p["before"]["macs"], lang=lang),
            "macs1": num(p["after"]["macs"], lang=lang), "params0": num(p["before"]["params"], lang=lang),
            "params1": num(p["after"]["params"], lang=lang),
            "finetune": f"{fin['epochs']} {epochs}, {batch} {fin['batch_size']}, cosine {num(fin['learning_rate'], 3, lang)}",
            "int8": f"{q['format'].upper()}, {'per-channel' if q['per_channel'] else 'per-tensor'}, "
                    f"{q['activation_type']}/{q['weight_type']}, {q['calibration_method']}",
            "calib": str(study.settings["data"]["calibration_size"])}


def paper(study: Study, lang: str) -> str:
    """The paper's Typst source."""
    from .report import versions

    t, f = TEXT[lang], facts(study, lang)
    w = Writer(lang)
    w.raw(f'#set document(title: "{esc(t["title"].format(**f))}")\n'
          f'#set page(paper: "a4", margin: (x: 2cm, y: 2.2cm), numbering: "1")\n'
          f'#set text(font: "Libertinus Serif", size: 10.5pt, lang: "{lang}")\n'
          '#set par(justify: true)\n#set heading(numbering: "1.1")\n'
          '#show figure.caption: set text(size: 9pt)\n')
    w.raw(f'#align(center)[#text(size: 16pt, weight: "bold")[{esc(t["title"].format(**f))}] \\ '
          f'#v(2pt) #text(size: 11pt)[{esc(t["subtitle"])}]]\n')
    w.raw(f'#align(center)[#block(width: 88%)[*{esc(t["abstract_h"])}.* {esc(t["abstract"].format(**f))}]]\n')
    if wiring_check(study):
        w.raw(f'#block(fill: luma(235), inset: 6pt, width: 100%)[*{esc(t["wiring"].format(**f))}*]\n')
    w.h(1, t["intro_h"])
    w.p(t["intro"])
    w.h(1, t["method_h"])
    space_text, strategy_text = method(study, lang, f)
    w.h(2, t["space_h"])
    w.p(space_text)
    w.h(2, t["strategy_h"])
    w.p(strategy_text)
    if study.result.space == "mobile":
        w.figure(study.figure("architecture"), t["fig_arch"])
        w.table(layer_table(study, t, lang), t["layers_caption"].format(target=study.table.target), "8pt")
        w.figure(study.figure("population"), STRATEGY_TEXT[study.result.strategy][lang]["figure"], "78%")
    w.h(2, t["compress_h"])
    w.p(t["compress"].format(**compression_settings(study, lang)))
    w.h(1, t["setup_h"])
    w.p(t["setup"].format(**f))
    w.table(versions().rename(columns={"package": t["col_package"], "version": t["col_version"]}), t["versions"])
    w.h(1, t["results_h"])
    w.table(stage_table(study, t, lang), t["stages_caption"].format(**f))
    w.table(deployed_table(study, t, lang), t["deployed_caption"].format(**f))
    if "best" in f:
        for stage, how in (("baseline_int8", t["same_int8"]), ("baseline", t["same_fp32"])):
            w.table(same_recipe_table(study, stage, t, lang), t["same_caption"].format(how=how))
    target = study.targets[0]
    w.figure(study.figure(f"{target}/accuracy_latency"), t["fig_tradeoff"].format(target=target), "85%")
    w.figure(study.figure(f"{target}/accuracy_size"), t["fig_size"].format(target=target), "72%")
    w.figure(study.figure(f"{target}/stage_gains"), t["fig_gains"])
    w.figure(study.figure("training_curves"), t["fig_curves"])
    w.h(1, t["analysis_h"])
    if "best" in f:
        w.h(2, t["nas_h"])
        w.p(t["nas"].format(**f))
    w.h(2, t["compression_h"])
    if "alone_speed" in f:
        w.p(t["compression"].format(**f))
    losses = study.int8_losses()
    if len(losses):
        w.p(t["int8_kernels"].format(losses="; ".join(
            t["int8_loss"].format(model=r.model, stage=r["INT8 stage"], target=r.target, isa=r.isa,
                                  points=num(r["change (points)"], 3, lang)) for _, r in losses.iterrows())))
    if "tta_points" in f:
        w.p(t["tta"].format(**f))
    if study.table is not None:
        w.h(2, t["latency_h"])
        w.p(latency_text(study, t, lang))
        w.figure(study.figure("latency_check"), t["fig_lat"])
    w.h(1, t["limits_h"])
    w.p(t["limits"].format(search_limit=search_limit(study, lang)))
    w.h(1, t["conclusion_h"])
    w.p(t["conclusion"].format(**f))
    w.raw(f'#heading(numbering: none)[{esc(t["refs_h"])}]\n#set text(size: 9pt)\n')
    w.raw("\n".join(f"+ {esc(r)}" for r in REFERENCES) + "\n")
    return w.source()


def latency_text(study: Study, t: dict[str, str], lang: str) -> str:
    c = study.table.checks
    return t["latency"].format(n=c["validation_nets"], rho=num(c["int8"]["corrected"]["spearman"], 3, lang),
                               mape=f"{num(100 * c['int8']['corrected']['mape'], 2, lang)} %",
                               rho32=num(c["fp32"]["corrected"]["spearman"], 3, lang),
                               mape32=f"{num(100 * c['fp32']['corrected']['mape'], 2, lang)} %")


def budget_text(search: dict, lang: str) -> str:
    """The budget in ms, and what it is when it was set as a quantile of the space."""
    if "latency_ms" not in search:
        return "–"
    q = search.get("latency_quantile")
    if q is None:
        return ms(search["latency_ms"], lang)
    share = f"{num(100 * q, 3, lang)} %"
    return ms(search["latency_ms"], lang) + (f" (the fastest {share} of the space)" if lang == "en"
                                             else f" ({share} mạng nhanh nhất của không gian)")


def slides(study: Study, lang: str) -> str:
    """The slides' Typst source: 16:9, one idea per slide, large figures, few words."""
    t, f = TEXT[lang], facts(study, lang)
    h = study.headline()
    w = Writer(lang)
    w.raw('#set page(width: 25.4cm, height: 14.29cm, margin: (x: 1.3cm, y: 1cm), numbering: "1", '
          'number-align: right + bottom)\n'
          f'#set text(font: "Libertinus Serif", size: 19pt, lang: "{lang}")\n'
          '#show heading: set text(size: 26pt)\n#show heading: set block(below: 0.6em)\n'
          '#let slide(title, body) = { pagebreak(weak: true); heading(level: 1, title); body }\n')
    w.raw(f'#align(center + horizon)[#text(size: 28pt, weight: "bold")[{esc(t["title"].format(**f))}] \\ #v(8pt) '
          f'#text(size: 17pt)[{esc(t["subtitle"])}]]\n')

    def slide(title: str, body: str) -> None:
        w.raw(f"#slide([{esc(title)}])[\n{body}\n]\n")

    def bullets(*items: str) -> str:
        return "\n".join(f"- {esc(i)}" for i in items)

    def image(name: str, height: str = "78%") -> str:
        return f'#align(center)[#image("{study.figure(name).as_posix()}", width: 100%, height: {height}, fit: "contain")]'

    def table(frame: pd.DataFrame, size: str = "13pt") -> str:
        writer = Writer(lang)
        writer.table(frame, size=size)
        return writer.source()

    slide(t["slides_q"], bullets(t["slides_q1"], t["slides_q2"])
          + (f'\n#v(1em)\n#text(size: 14pt)[*{esc(t["wiring"].format(**f))}*]' if wiring_check(study) else ""))
    space_text, strategy_text = method(study, lang, f)
    if study.result.space == "mobile":
        from .spaces.mobile import space_size

        count = f"{space_size():.1e}".replace(".", "," if lang == "vi" else ".")
        slide(t["slides_space"], bullets(*(b.format(count=count) for b in t["bullets_space"])))
        words = STRATEGY_TEXT[study.result.strategy][lang]
        values = strategy_facts(study, lang, f)
        slide(words["title"], bullets(*(b.format(**values) for b in words["bullets"])))
        slide(t["slides_lat"], f'#text(size: 15pt)[{esc(latency_text(study, t, lang))}]\n' + image("latency_check", "70%"))
        slide(t["slides_arch"], image("architecture", "62%") + f"\n#text(size: 15pt)[{esc(t['fig_arch'])} "
              f"{esc(ms(study.result.search['predicted_ms'], lang))} / {esc(f['budget'])}]")
        slide(words["slide"], image("population"))
    else:
        slide(t["slides_space"], f'#text(size: 16pt)[{esc(space_text)}]')
        slide(t["slides_strategy"], f'#text(size: 16pt)[{esc(strategy_text)}]')
        slide(t["slides_arch"], image("normal_cell", "40%") + "\n" + image("reduce_cell", "40%"))
    slide(t["slides_chain"], "#v(1em)\n" + table(stage_table(study, t, lang), "17pt"))
    target = study.targets[0]
    slide(t["slides_results"].format(target=target), image(f"{target}/accuracy_latency", "85%"))
    slide(t["slides_a1"], (f'#text(size: 15pt)[{esc(t["nas"].format(**f))}]\n' if "best" in f else "")
          + table(deployed_table(study, t, lang), "15pt"))
    slide(t["slides_a2"], (f'#text(size: 15pt)[{esc(t["compression"].format(**f))}]\n' if "alone_speed" in f else "")
          + image(f"{target}/stage_gains", "58%"))
    slide(t["slides_curves"], image("training_curves", "70%"))
    slide(t["slides_limits"], f'#text(size: 15pt)[{esc(t["limits"].format(search_limit=search_limit(study, lang)))}]')
    takeaways = [t["take_front"].format(**f)]
    if "best" in f:
        takeaways.append(t["take_same"].format(**f))
    takeaways.append(t["take_compress"].format(**f))
    if study.table is not None:
        c = study.table.checks["int8"]["corrected"]
        takeaways.append(t["take_latency"].format(rho=num(c["spearman"], 3, lang), mape=f"{num(100 * c['mape'], 2, lang)} %"))
    slide(t["slides_take"], bullets(*takeaways))
    return w.source()


def wiring_check(study: Study) -> bool:
    from .report import wiring_check as note

    return note(study.bench(), len(study.stats["classes"]), study.split_sizes[0]) is not None


def compile_pdf(source: str, pdf: str | Path, root: str | Path) -> None:
    """Typeset ``source`` (paths relative to ``root``) into ``pdf``, atomically."""
    import typst

    pdf = Path(pdf)
    pdf.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=root) as tmp:
        main = Path(tmp) / "main.typ"
        main.write_text(source)
        typst.compile(str(main), output=str(Path(tmp) / "out.pdf"), root=str(Path(root).resolve()))
        shutil.move(str(Path(tmp) / "out.pdf"), pdf)


def publish(study: Study, *, lang: str, paper_pdf: str | Path, slides_pdf: str | Path) -> None:
    """Write the paper and the slides; figure paths are made relative to their common folder."""
    if lang not in LANGUAGES:
        raise ValueError(f"report.language: {lang!r} is not one of {', '.join(LANGUAGES)}")
    root = Path(os.path.commonpath([Path(p).resolve() for p in [*study.figures.values(), paper_pdf]]))
    relative = Study(**{**study.__dict__, "figures": {k: str(Path("/") / Path(v).resolve().relative_to(root))
                                                       for k, v in study.figures.items()}})
    compile_pdf(paper(relative, lang), paper_pdf, root)
    compile_pdf(slides(relative, lang), slides_pdf, root)


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
