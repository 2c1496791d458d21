"""Baseline predictors that need no NASLib: a GP and gradient-boosted trees on the one-hot
operations plus adjacency encoding (``adjacency_encoding``)."""
from __future__ import annotations

import numpy as np
import torch

from naslib_oe.benchmarks.surrogate import TreeEnsembleSurrogate, adjacency_encoding
from naslib_oe.errors import ConfigError
from naslib_oe.predictors.base import ArchitecturePredictor
from naslib_oe.predictors.heads import HEADS
from naslib_oe.spaces import ArchDAG, SearchSpace


class AdjacencyPredictor(ArchitecturePredictor):
    """A GP (or MLP) head on the one-hot adjacency encoding."""

    def __init__(self, space: SearchSpace, head: str = "gp", seed: int = 0):
        super().__init__(ss_type=space.name, encoding_type="adjacency_one_hot")
        if head not in HEADS:
            raise ConfigError(f"unknown head {head!r}; expected one of {sorted(HEADS)}")
        self.space, self.head_name, self.seed = space, head, seed

    def _features(self, dags: list[ArchDAG]) -> torch.Tensor:
        return torch.as_tensor(adjacency_encoding(self.space, dags))

    def fit_dags(self, dags: list[ArchDAG], y: np.ndarray) -> None:
        self.head = HEADS[self.head_name](seed=self.seed).fit(self._features(dags), y)

    def predict_dags(self, dags: list[ArchDAG]) -> tuple[np.ndarray, np.ndarray]:
        return self.head.predict(self._features(dags))


class AdjacencyTreesPredictor(ArchitecturePredictor):
    """A bootstrap ensemble of gradient-boosted trees on the same encoding (scikit-learn)."""

    def __init__(self, space: SearchSpace, seed: int = 0, members: int = 5, rounds: int = 100):
        super().__init__(ss_type=space.name, encoding_type="adjacency_one_hot")
        self.model = TreeEnsembleSurrogate(space, members=members, seed=seed, max_iter=rounds, min_samples_leaf=2)

    def fit_dags(self, dags: list[ArchDAG], y: np.ndarray) -> None:
        self.model.fit(dags, y)

    def predict_dags(self, dags: list[ArchDAG]) -> tuple[np.ndarray, np.ndarray]:
        return self.model.predict_with_spread(dags)
