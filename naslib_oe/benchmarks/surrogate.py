"""A tabular-benchmark surrogate: predicts the accuracy of architectures outside a table.

In the spirit of NAS-Bench-301, an ensemble of gradient-boosted regression trees
(scikit-learn's ``HistGradientBoostingRegressor``, each member fit on a bootstrap resample)
is trained on the whole table, on a flat graph encoding: the one-hot operation of every
vertex and the upper triangle of the adjacency matrix. It is deliberately a different model
family from the GP that the BO fits on latent vectors, so that the search cannot simply
learn the evaluator's own biases.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy.stats import spearmanr
from sklearn.ensemble import HistGradientBoostingRegressor
from threadpoolctl import threadpool_limits

from naslib_oe.benchmarks.base import Metric, TabularBenchmark
from naslib_oe.spaces import ArchDAG, SearchSpace

#: below this many rows the trees are grown on one OpenMP thread
SMALL_FIT_ROWS = 5000


def adjacency_encoding(space: SearchSpace, dags: Sequence[ArchDAG]) -> np.ndarray:
    """``[len(dags), N * (num_ops + 1) + N(N-1)/2]`` floats: one-hot ops (padding included)
    and the strictly upper-triangular adjacency, with ``N = space.max_nodes``."""
    batch = space.collate(dags)
    n = space.max_nodes
    ops = np.eye(space.num_ops + 1, dtype=np.float32)[batch.ops.numpy()].reshape(len(dags), -1)
    rows, cols = np.triu_indices(n, k=1)
    return np.concatenate([ops, batch.adj.numpy()[:, rows, cols].astype(np.float32)], axis=1)


@dataclass
class SurrogateQuality:
    """Held-out quality of a surrogate (accuracy in percent)."""

    rmse: float
    spearman: float
    n_train: int
    n_test: int

    def __str__(self) -> str:
        return (f"surrogate held-out RMSE {self.rmse:.3f} %, Spearman {self.spearman:.3f} "
                f"({self.n_train} train / {self.n_test} held out)")


class TreeEnsembleSurrogate:
    """Bootstrap ensemble of gradient-boosted trees on :func:`adjacency_encoding`.

    Args:
        space: the codec of the architectures it predicts.
        members: ensemble size; the prediction is the members' mean, their std the spread.
        seed: fixes the bootstrap resamples and the trees.
        min_samples_leaf: scikit-learn's default (20) suits whole tables; lower it for the
            tens of points of a predictor comparison, or every tree is a constant.
    """

    def __init__(self, space: SearchSpace, members: int = 5, seed: int = 0, max_iter: int = 300,
                 min_samples_leaf: int = 20):
        self.space = space
        self.members = members
        self.seed = seed
        self.max_iter = max_iter
        self.min_samples_leaf = min_samples_leaf
        self._models: list[HistGradientBoostingRegressor] = []

    def fit(self, dags: Sequence[ArchDAG], y: Sequence[float]) -> "TreeEnsembleSurrogate":
        x, y = adjacency_encoding(self.space, dags), np.asarray(y, dtype=np.float64)
        rng = np.random.default_rng(self.seed)
        self._models = []
        # OpenMP's per-tree overhead swamps small inputs (78 s instead of 2 s for 10 rows on a busy machine)
        with threadpool_limits(1 if len(x) < SMALL_FIT_ROWS else None, "openmp"):
            self._fit_members(x, y, rng)
        return self

    def _fit_members(self, x: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> None:
        for member in range(self.members):
            rows = rng.integers(0, len(x), len(x))
            model = HistGradientBoostingRegressor(max_iter=self.max_iter, learning_rate=0.1,
                                                  min_samples_leaf=self.min_samples_leaf, random_state=self.seed + member)
            self._models.append(model.fit(x[rows], y[rows]))

    def predict_with_spread(self, dags: Sequence[ArchDAG]) -> tuple[np.ndarray, np.ndarray]:
        """Mean and std over the ensemble members, ``[len(dags)]`` each."""
        if not self._models:
            raise RuntimeError("TreeEnsembleSurrogate.predict called before fit")
        x = adjacency_encoding(self.space, dags)
        preds = np.stack([m.predict(x) for m in self._models])
        return preds.mean(0), preds.std(0)

    def predict(self, dags: Sequence[ArchDAG]) -> np.ndarray:
        return self.predict_with_spread(dags)[0]


def fit_table_surrogate(bench: TabularBenchmark, dataset: str | None = None, holdout: float = 0.1,
                        seed: int = 0, members: int = 5) -> tuple[TreeEnsembleSurrogate, SurrogateQuality]:
    """Score a surrogate on a random ``holdout`` share of ``bench``, then refit it on the whole table.

    Returns the surrogate fit on every row and its held-out quality.
    """
    y = bench.column(Metric.VAL_ACCURACY, dataset)
    rows = np.random.default_rng(seed).permutation(len(bench))
    cut = int(round(len(rows) * (1 - holdout)))
    train, test = rows[:cut], rows[cut:]
    probe = TreeEnsembleSurrogate(bench.space, members, seed).fit([bench.dags[i] for i in train], y[train])
    pred = probe.predict([bench.dags[i] for i in test])
    quality = SurrogateQuality(float(np.sqrt(np.mean((pred - y[test]) ** 2))),
                               float(spearmanr(pred, y[test]).statistic), len(train), len(test))
    return TreeEnsembleSurrogate(bench.space, members, seed).fit(bench.dags, y), quality
