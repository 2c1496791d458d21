"""What the search's GP is fit on: the observed accuracies, or a monotone transform of them.

Tabular accuracies are heavy-tailed: on NAS-Bench-201 a few cells sit near 10 % while the
good ones differ by tenths of a point. Standardised raw values then spend the GP's scale on
the failures. ``copula`` replaces each value by the normal quantile of its rank (ties share
their mean rank), as HEBO and Copula-GP-style BO do; the order, hence the incumbent, is kept.
"""
from __future__ import annotations

from typing import Callable

import torch
from scipy.stats import rankdata


def copula(y: torch.Tensor) -> torch.Tensor:
    """``y [n]`` -> normal scores ``Phi^-1((rank - 1/2) / n)`` ``[n]``, same dtype and device."""
    ranks = torch.as_tensor(rankdata(y.detach().cpu().numpy(), method="average"), dtype=y.dtype, device=y.device)
    return torch.special.ndtri((ranks - 0.5) / len(y))


TARGETS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {"raw": lambda y: y, "copula": copula}
