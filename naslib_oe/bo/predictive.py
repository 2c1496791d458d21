"""Predictive performance of a latent space (DESIGN.md section 5).

A sparse GP is fit on the posterior-mean latents of the training architectures with their
accuracies standardised (training mean and std), and scored on the test latents: RMSE in
those standardised units and Pearson r, each as mean ± std over ``seeds`` fits (the seed
picks the initial inducing points and the minibatch order).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Sequence

import numpy as np
import torch
from tqdm.auto import tqdm

from naslib_oe.bo.surrogate import GPSettings, fit_gp, predict
from naslib_oe.models import GraphVAE
from naslib_oe.spaces import ArchDAG


@dataclass
class PredictiveMetrics:
    rmse_mean: float
    rmse_std: float
    pearson_mean: float
    pearson_std: float
    seeds: int
    n_train: int
    n_test: int

    def as_dict(self) -> dict:
        return asdict(self)

    def table(self) -> str:
        return (f"{'GP RMSE (standardised)':<24} {self.rmse_mean:.3f} ± {self.rmse_std:.3f}\n"
                f"{'GP Pearson r':<24} {self.pearson_mean:.3f} ± {self.pearson_std:.3f}"
                f"   ({self.seeds} seeds, {self.n_train} train / {self.n_test} test)")


def rmse_and_pearson(pred: np.ndarray, target: np.ndarray) -> tuple[float, float]:
    return float(np.sqrt(np.mean((pred - target) ** 2))), float(np.corrcoef(pred, target)[0, 1])


def predictive_performance(vae: GraphVAE, train: Sequence[ArchDAG], train_y: Sequence[float],
                           test: Sequence[ArchDAG], test_y: Sequence[float], seeds: int = 10,
                           gp: GPSettings | None = None, progress: bool = True) -> PredictiveMetrics:
    """Fit ``seeds`` sparse GPs (500 inducing points by default) and score them on ``test``."""
    gp = replace(gp or GPSettings(), kind="sparse")
    z_train, z_test = vae.embed(train).cpu(), vae.embed(test).cpu()
    y_train = np.asarray(train_y, dtype=np.float64)
    mean, std = y_train.mean(), y_train.std()
    target_train = torch.from_numpy((y_train - mean) / std)
    target_test = (np.asarray(test_y, dtype=np.float64) - mean) / std
    scores = []
    for seed in tqdm(range(seeds), desc="predictive GP", unit="seed", disable=not progress):
        model = fit_gp(z_train, target_train, gp, seed=seed)
        pred = predict(model, z_test)[0].numpy()
        scores.append(rmse_and_pearson(pred, target_test))
    rmse, pearson = np.array(scores).T
    return PredictiveMetrics(float(rmse.mean()), float(rmse.std()), float(pearson.mean()), float(pearson.std()),
                             seeds, len(train), len(test))
