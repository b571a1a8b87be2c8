"""The measurement phase: test accuracy, the benchmark on each target, the SSH transport to a
device and the emulated CPUs."""
