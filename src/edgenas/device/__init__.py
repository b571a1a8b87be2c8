"""The device side: what runs on an edge device with numpy, onnxruntime and OpenCV only (never
torch), copied alone into the edge bundle."""
