"""A tabular-benchmark surrogate: predicts the accuracy of architectures outside a table.

In the spirit of NAS-Bench-301, an ensemble of gradient-boosted regression trees
(scikit-learn's ``HistGradientBoostingRegressor``, each member fit on a bootstrap resample)
is trained on the whole table, on a flat graph encoding: the one-hot operation of every
vertex and the upper triangle of the adjacency matrix. It is deliberately a different model
family from the GP that the BO fits on latent vectors, so that the search cannot simply
learn the evaluator's own biases.

A search run fits it once (:func:`stored_table_surrogate`) and keeps it in its folder as
``surrogate.safetensors`` (flat tree arrays, no pickle), so that every trial, and every
``--resume``, scores architectures against the very same surrogate.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
from scipy.stats import spearmanr
from sklearn.ensemble import HistGradientBoostingRegressor
from threadpoolctl import threadpool_limits

from naslib_oe.benchmarks.base import Metric, TabularBenchmark
from naslib_oe.benchmarks.tree_arrays import TreeArrays
from naslib_oe.errors import CheckpointError
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
        self._trees: TreeArrays | None = None

    def fit(self, dags: Sequence[ArchDAG], y: Sequence[float]) -> "TreeEnsembleSurrogate":
        x, y = adjacency_encoding(self.space, dags), np.asarray(y, dtype=np.float64)
        rng = np.random.default_rng(self.seed)
        # OpenMP's per-tree overhead swamps small inputs (78 s instead of 2 s for 10 rows on a busy machine)
        with threadpool_limits(1 if len(x) < SMALL_FIT_ROWS else None, "openmp"):
            models = [self._fit_member(x, y, rng.integers(0, len(x), len(x)), member) for member in range(self.members)]
        self._trees = TreeArrays.from_sklearn(models)  # predictions always come from the flat arrays
        return self

    def _fit_member(self, x: np.ndarray, y: np.ndarray, rows: np.ndarray, member: int) -> HistGradientBoostingRegressor:
        model = HistGradientBoostingRegressor(max_iter=self.max_iter, learning_rate=0.1,
                                              min_samples_leaf=self.min_samples_leaf, random_state=self.seed + member)
        return model.fit(x[rows], y[rows])

    def predict_with_spread(self, dags: Sequence[ArchDAG]) -> tuple[np.ndarray, np.ndarray]:
        """Mean and std over the ensemble members, ``[len(dags)]`` each."""
        if self._trees is None:
            raise RuntimeError("TreeEnsembleSurrogate.predict called before fit")
        preds = self._trees.predict_members(adjacency_encoding(self.space, dags).astype(np.float64))
        return preds.mean(0), preds.std(0)

    def predict(self, dags: Sequence[ArchDAG]) -> np.ndarray:
        return self.predict_with_spread(dags)[0]

    def save(self, path: str | Path, **metadata) -> None:
        """Store the fitted trees (safetensors, no pickle) with ``metadata`` in the header."""
        if self._trees is None:
            raise RuntimeError("TreeEnsembleSurrogate.save called before fit")
        self._trees.save(path, {"space": self.space.name, "members": self.members, "seed": self.seed, **metadata})

    @classmethod
    def load(cls, path: str | Path, space: SearchSpace) -> tuple["TreeEnsembleSurrogate", dict]:
        """A surrogate :meth:`save` wrote, for ``space``, and the metadata stored with it."""
        trees, meta = TreeArrays.load(path)
        if meta.get("space") != space.name:
            raise CheckpointError(f"{path}: a surrogate of {meta.get('space')!r}, not of {space.name!r}")
        surrogate = cls(space, members=int(meta["members"]), seed=int(meta["seed"]))
        surrogate._trees = trees
        return surrogate, meta


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


#: the file a run folder keeps its fitted surrogate in
SURROGATE_FILE = "surrogate.safetensors"


def stored_table_surrogate(bench: TabularBenchmark, dataset: str | None, seed: int,
                           folder: str | Path) -> tuple[TreeEnsembleSurrogate, SurrogateQuality]:
    """The run's surrogate: read from ``folder/surrogate.safetensors``, or fit once and written there.

    A stored surrogate of another benchmark, dataset or seed is refused
    (:class:`~naslib_oe.errors.CheckpointError`) rather than silently reused.
    """
    path = Path(folder) / SURROGATE_FILE
    expected = {"benchmark": bench.name, "dataset": bench.resolve_dataset(dataset), "seed": seed}
    if path.is_file():
        surrogate, meta = TreeEnsembleSurrogate.load(path, bench.space)
        stored = {k: meta.get(k) for k in expected}
        if stored != expected:
            raise CheckpointError(f"{path} was fit for {stored}, this run needs {expected}; use another run folder")
        return surrogate, SurrogateQuality(**meta["quality"])
    print(f"fitting the {bench.name} surrogate once for this run: a held-out check, then the ensemble on all "
          f"{len(bench)} architectures (about a minute on 2 cores) -> {path}", flush=True)
    surrogate, quality = fit_table_surrogate(bench, dataset, seed=seed)
    Path(folder).mkdir(parents=True, exist_ok=True)
    surrogate.save(path, quality=asdict(quality), **expected)
    return surrogate, quality
