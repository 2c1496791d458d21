"""Regression heads on fixed-length features: a GP (GPyTorch/BoTorch) or an MLP ensemble.

Both take ``x [n, d]`` and ``y [n]`` and predict a mean and a standard deviation ``[m]``.
"""
from __future__ import annotations

from typing import Callable, Protocol

import numpy as np
import torch

from naslib_oe.bo.surrogate import GPSettings, fit_gp, predict


class Head(Protocol):
    def fit(self, x: torch.Tensor, y: np.ndarray) -> "Head": ...

    def predict(self, x: torch.Tensor) -> tuple[np.ndarray, np.ndarray]: ...


class GPHead:
    """The BO layer's GP (exact below ``gp.exact_max_points`` points, sparse above)."""

    def __init__(self, seed: int = 0, gp: GPSettings | None = None):
        self.seed, self.settings = seed, gp or GPSettings()

    def fit(self, x: torch.Tensor, y: np.ndarray) -> "GPHead":
        self.model = fit_gp(x.double().cpu(), torch.as_tensor(y, dtype=torch.float64), self.settings, seed=self.seed)
        return self

    def predict(self, x: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
        mean, var = predict(self.model, x.double().cpu())
        return mean.detach().numpy(), var.clamp_min(0).sqrt().detach().numpy()


class MLPHead:
    """An ensemble of small MLPs; the spread of its members is the uncertainty.

    Inputs and targets are standardised on the training set; each member has its own
    initialisation (from ``seed``) and is trained full-batch with Adam.
    """

    def __init__(self, seed: int = 0, members: int = 5, hidden: int = 64, steps: int = 500, lr: float = 1e-2,
                 weight_decay: float = 1e-4):
        self.seed, self.members, self.hidden, self.steps = seed, members, hidden, steps
        self.lr, self.weight_decay = lr, weight_decay

    def fit(self, x: torch.Tensor, y: np.ndarray) -> "MLPHead":
        x = x.float().cpu()
        self.x_mean, self.x_std = x.mean(0), x.std(0).clamp_min(1e-6)
        self.y_mean, self.y_std = float(y.mean()), float(y.std()) or 1.0
        xs = (x - self.x_mean) / self.x_std
        ys = torch.as_tensor((y - self.y_mean) / self.y_std, dtype=torch.float32)
        generator = torch.Generator().manual_seed(self.seed)
        self.nets = [self._train(xs, ys, generator) for _ in range(self.members)]
        return self

    def _train(self, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator) -> torch.nn.Module:
        net = torch.nn.Sequential(torch.nn.Linear(x.shape[1], self.hidden), torch.nn.ReLU(),
                                  torch.nn.Linear(self.hidden, self.hidden), torch.nn.ReLU(),
                                  torch.nn.Linear(self.hidden, 1))
        with torch.no_grad():  # seeded initialisation, independent of the global generator
            for p in net.parameters():
                p.copy_(torch.randn(p.shape, generator=generator) * (1.0 / max(1, p.shape[-1])) ** 0.5)
        opt = torch.optim.Adam(net.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        for _ in range(self.steps):
            opt.zero_grad()
            loss = torch.nn.functional.mse_loss(net(x).squeeze(-1), y)
            loss.backward()
            opt.step()
        return net.eval()

    def predict(self, x: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
        xs = (x.float().cpu() - self.x_mean) / self.x_std
        with torch.no_grad():
            preds = torch.stack([net(xs).squeeze(-1) for net in self.nets]) * self.y_std + self.y_mean
        return preds.mean(0).numpy(), preds.std(0, unbiased=False).numpy()


HEADS: dict[str, Callable[..., Head]] = {"gp": GPHead, "mlp": MLPHead}
