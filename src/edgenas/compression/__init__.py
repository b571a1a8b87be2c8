"""The compression phase: training from scratch, pruning, fine-tuning, ONNX export and INT8."""
