import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from synthetic import write_imagefolder  # noqa: E402

REPO = Path(__file__).resolve().parents[1]

# A hand-written DARTS genotype (NNI's dict form) for tests that need a fixed net.
ARCH = {}
for cell, ops in (("normal", ["sep_conv_3x3", "skip_connect", "dil_conv_3x3", "sep_conv_5x5",
                              "avg_pool_3x3", "sep_conv_3x3", "max_pool_3x3", "dil_conv_5x5"]),
                  ("reduce", ["max_pool_3x3", "sep_conv_3x3", "avg_pool_3x3", "skip_connect",
                              "dil_conv_3x3", "max_pool_3x3", "sep_conv_5x5", "skip_connect"])):
    for node in range(2, 6):
        for j in (0, 1):
            ARCH[f"{cell}/op_{node}_{j}"] = ops[(node - 2) * 2 + j]
            ARCH[f"{cell}/input_{node}_{j}"] = [j if node == 2 else (node - 1 - j)]


@pytest.fixture(scope="session")
def imagefolder(tmp_path_factory) -> Path:
    """A small learnable ImageFolder data set (4 classes, 20x20 PNGs)."""
    return write_imagefolder(tmp_path_factory.mktemp("data") / "synthetic")


@pytest.fixture(scope="session")
def arrays(imagefolder):
    from edgenas.data import load_imagefolder

    return load_imagefolder(imagefolder, 16)
