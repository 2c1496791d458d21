"""NASLib's own predictors on our comparison's splits (``naslib-gcn``, ``naslib-xgb``, ...).

:class:`NASLibPredictor` turns our DAGs into NASLib architecture objects (NB201, or our
``EnasSearchSpace``) and hands them to the NASLib predictor, with the encoding NASLib's own
``Ensemble`` pairs it with.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from naslib_oe.errors import ConfigError
from naslib_oe.naslib.adapters import adapter
from naslib_oe.naslib.runner import require_naslib
from naslib_oe.predictors.base import ArchitecturePredictor
from naslib_oe.spaces import ArchDAG, SearchSpace

#: NASLib predictor -> (class path, encoding), as NASLib's ``Ensemble`` builds them
NASLIB_PREDICTORS = {
    "gcn": ("naslib.predictors.gcn.GCNPredictor", "gcn"),
    "bonas": ("naslib.predictors.bonas.BonasPredictor", "bonas"),
    "xgb": ("naslib.predictors.trees.xgb.XGBoost", "adjacency_one_hot"),
    "mlp": ("naslib.predictors.mlp.MLPPredictor", "path"),
    "gp": ("naslib.predictors.gp.gp.GPPredictor", "adjacency_one_hot"),
}


def _naslib_class(path: str) -> Any:
    module, name = path.rsplit(".", 1)
    return getattr(__import__(module, fromlist=[name]), name)


def native_factory(space: SearchSpace) -> Callable[[ArchDAG], Any]:
    """DAG -> a NASLib architecture object that predictors can encode."""
    spec = adapter(space.name)
    return spec.native(spec.search_space())


class NASLibPredictor(ArchitecturePredictor):
    """One of NASLib's predictors behind our ``fit``/``query``; no uncertainty (std is 0)."""

    def __init__(self, name: str, space: SearchSpace, seed: int = 0):
        require_naslib()
        if name not in NASLIB_PREDICTORS:
            raise ConfigError(f"unknown NASLib predictor {name!r}; expected one of {sorted(NASLIB_PREDICTORS)}")
        from naslib.utils import set_seed
        from naslib.utils.encodings import EncodingType

        path, encoding = NASLIB_PREDICTORS[name]
        super().__init__(ss_type=space.name, encoding_type=encoding)
        self.seed, self.to_native = seed, native_factory(space)
        self._set_seed = set_seed
        self.inner = _naslib_class(path)(ss_type=space.name, encoding_type=EncodingType(encoding))

    def fit_dags(self, dags: list[ArchDAG], y: np.ndarray) -> None:
        self._set_seed(self.seed)  # NASLib's predictors draw from the global generators
        self.inner.fit([self.to_native(d) for d in dags], y)

    def predict_dags(self, dags: list[ArchDAG]) -> tuple[np.ndarray, np.ndarray]:
        mean = np.asarray(self.inner.query([self.to_native(d) for d in dags]), dtype=np.float64).reshape(-1)
        return mean, np.zeros_like(mean)
