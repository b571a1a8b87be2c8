"""Cheap scores of an untrained net: what a search can rank many candidates by in seconds.

Size (parameters, MACs) and three zero-cost proxies, each as its authors define it:

- ``synflow`` (Tanaka et al. 2020, as scored by Abdelfattah et al. 2021): with every weight made
  positive and every batch norm the identity, the sum over parameters of
  |theta * dR/dtheta| for R the sum of the outputs on an all-ones input (in float64, so deep
  nets do not overflow). Data-free.
- ``naswot`` (Mellor et al. 2021): log-determinant of the kernel of the binary activation
  codes of a batch (how differently the net's ReLUs split the images), at initialisation.
- ``grad_norm`` (Abdelfattah et al. 2021): the norm of the loss gradient on one batch.

Zero-cost proxies rank fully trained NAS-Bench-201 nets well and rarely beat size in mobile
spaces (NAS-Bench-Suite-Zero); ``benchmarks/search_signal.py`` measures which of these ranks
this space's nets after the workflow's own recipe, and the search pre-ranks by what it finds.
"""
from __future__ import annotations

import copy

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F


def synflow(net: nn.Module, image_size: int) -> float:
    net = copy.deepcopy(net).double().eval()  # eval: fresh running statistics (0, 1)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):  # the identity, also where a block's last
                nn.init.ones_(m.weight)                        # scale starts at zero (spaces.mobile.initialise)
                nn.init.zeros_(m.bias)
        for p in net.parameters():
            p.abs_()
    net.zero_grad()
    net(torch.ones(1, 3, image_size, image_size, dtype=torch.float64)).sum().backward()
    return float(sum((p * p.grad).abs().sum().item() for p in net.parameters() if p.grad is not None))


def naswot(net: nn.Module, images: torch.Tensor) -> float:
    n = len(images)
    kernel = torch.zeros(n, n, dtype=torch.float64)

    def record(_module, _inputs, output):
        # per layer: units minus the Hamming distance between the binary codes, per pair of images
        # (float32 counts are exact below 2**24 units)
        c = (output.detach().flatten(1) > 0).float()
        kernel.add_((c @ c.T + (1 - c) @ (1 - c).T).double())

    hooks = [m.register_forward_hook(record) for m in net.modules() if isinstance(m, (nn.ReLU, nn.ReLU6))]
    training = net.training
    try:
        with torch.no_grad():
            net.train()(images)  # train-mode batch norms: the codes of this batch, as NASWOT scores them
    finally:
        for h in hooks:
            h.remove()
        net.train(training)
    return float(torch.linalg.slogdet(kernel)[1])


def grad_norm(net: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> float:
    net = copy.deepcopy(net).train()
    F.cross_entropy(net(images), labels).backward()
    return float(torch.sqrt(sum((p.grad ** 2).sum() for p in net.parameters() if p.grad is not None)))


SCORES = ("params", "macs", "synflow", "naswot", "grad_norm")
# rank_mean: the mean of a candidate's ranks under every score; none: the draws' own (random) order
RANKINGS = (*SCORES, "rank_mean", "none")


def cheap_scores(net: nn.Module, images: torch.Tensor, labels: torch.Tensor,
                 which: tuple[str, ...] = SCORES) -> dict[str, float]:
    """Cheap scores of a freshly built net (``which`` of ``SCORES``: size in milliseconds, each
    proxy in about a second on one core), on one batch of normalised training images."""
    from ..model import count_macs_params

    out: dict[str, float] = {}
    if {"params", "macs"} & set(which):
        macs, params = count_macs_params(net, images.shape[-1])
        out.update({k: float(v) for k, v in (("params", params), ("macs", macs)) if k in which})
    proxies = {"synflow": lambda: synflow(net, images.shape[-1]), "naswot": lambda: naswot(net, images),
               "grad_norm": lambda: grad_norm(net, images, labels)}
    out.update({k: score() for k, score in proxies.items() if k in which})
    return {k: out[k] for k in SCORES if k in out}


def needed(prerank: str) -> tuple[str, ...]:
    """The scores a ranking by ``prerank`` reads."""
    return {"rank_mean": SCORES, "none": ()}.get(prerank, (prerank,))


def ranking(scores: list[dict[str, float]], by: str) -> np.ndarray:
    """Candidates' order under ``by`` (one of ``RANKINGS``), best first."""
    from scipy.stats import rankdata

    if by == "none":
        return np.arange(len(scores))
    if by == "rank_mean":
        key = np.mean([rankdata([s[k] for s in scores]) for k in SCORES], axis=0)
    else:
        key = np.array([s[by] for s in scores])
    return np.argsort(-key, kind="stable")

