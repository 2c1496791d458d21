"""The predictor contract: NASLib's ``Predictor`` (``fit``, ``query``, ``get_data_reqs``).

Our predictors subclass NASLib's ``Predictor`` when NASLib is importable and otherwise
:class:`LocalPredictor`, which has the same methods. Architectures may be our
:class:`ArchDAG` s or NASLib search-space objects (NB201, NB101, ``EnasSearchSpace``).
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from naslib_oe import naslib_compat
from naslib_oe.errors import NonFiniteError
from naslib_oe.problem import foreign_dag
from naslib_oe.spaces import ArchDAG


class LocalPredictor:
    """The methods of NASLib's ``Predictor`` (used when NASLib is not installed)."""

    def __init__(self, ss_type: str | None = None, encoding_type: Any = None):
        self.ss_type, self.encoding_type = ss_type, encoding_type

    def pre_process(self) -> None:
        pass

    def pre_compute(self, xtrain, xtest, unlabeled=None) -> None:
        pass

    def fit(self, xtrain, ytrain, info=None):
        raise NotImplementedError

    def query(self, xtest, info=None):
        raise NotImplementedError

    def get_data_reqs(self) -> dict[str, Any]:
        return {"requires_partial_lc": False, "metric": None, "requires_hyperparameters": False,
                "hyperparams": {}, "unlabeled": False, "unlabeled_factor": 0}


try:  # NASLib is optional; see naslib_oe.naslib
    naslib_compat.apply()
    from naslib.predictors.predictor import Predictor as _Base
except Exception:  # ImportError, or a NASLib that does not import on this Python
    _Base = LocalPredictor


def as_dags(xs: Sequence[Any]) -> list[ArchDAG]:
    """ArchDAGs, or NASLib architecture objects converted to ArchDAGs."""
    return [foreign_dag(x) for x in xs]


class ArchitecturePredictor(_Base):
    """Shared ``fit``/``query`` plumbing: subclasses implement :meth:`fit_dags` and
    :meth:`predict_dags` (mean and standard deviation, in the targets' units)."""

    def fit(self, xtrain: Sequence[Any], ytrain: Sequence[float], info: Any = None) -> "ArchitecturePredictor":
        y = np.asarray(ytrain, dtype=np.float64)
        if len(xtrain) != len(y) or len(y) < 2:
            raise ValueError(f"{type(self).__name__}.fit needs at least 2 architectures with one target each; "
                             f"got {len(xtrain)} architectures and {len(y)} targets")
        if not np.isfinite(y).all():
            raise NonFiniteError(f"{type(self).__name__}.fit: the targets contain NaN or inf")
        self.fit_dags(as_dags(xtrain), y)
        self.fitted = True
        return self

    def query(self, xtest: Sequence[Any], info: Any = None) -> np.ndarray:
        """Predicted targets ``[len(xtest)]``."""
        return self.query_with_uncertainty(xtest)[0]

    def query_with_uncertainty(self, xtest: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
        """Predicted mean and standard deviation, ``[len(xtest)]`` each."""
        if not getattr(self, "fitted", False):
            raise RuntimeError(f"{type(self).__name__}.query called before fit")
        mean, std = self.predict_dags(as_dags(xtest))
        return np.asarray(mean, dtype=np.float64), np.asarray(std, dtype=np.float64)

    def fit_dags(self, dags: list[ArchDAG], y: np.ndarray) -> None:
        raise NotImplementedError

    def predict_dags(self, dags: list[ArchDAG]) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError
