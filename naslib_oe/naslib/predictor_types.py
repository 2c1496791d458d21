"""``predictor_type: oe`` and ``oe_onehot`` for NASLib's ``Ensemble``, hence for BANANAS, NPENAS
and NASLib's ``PredictorEvaluator``, with NASLib's files unedited.

NASLib maps ``predictor_type`` names to predictors in a dict built inside
``Ensemble.get_ensemble``; it has no registry. :func:`register` wraps that one method: our
names build the members below, every other name goes to NASLib's own method unchanged.
:func:`unregister` puts NASLib's method back, and :func:`oe_predictor_types` does both around
a block (for tests). Importing :mod:`naslib_oe.naslib` with NASLib importable registers them.

* ``oe``: the learned-embedding VAE (DVAE-EMB) of the zoo for the space, with a GP on its
  posterior means (:class:`~naslib_oe.predictors.OEPredictor`);
* ``oe_onehot``: the same with the zoo's one-hot D-VAE;
* ``oe_ft``, ``oe_onehot_ft``: the same, with the VAE's input map (operation embeddings and
  latent head) refit on each training set jointly with the GP
  (:mod:`naslib_oe.bo.finetune`, ``embedding+head`` at its defaults).

Uncertainty. NASLib's acquisition functions (its, ucb, ei, ...) take the mean and the
standard deviation over the ensemble's members. Copies of one GP fit on one training set
would all agree (spread 0), so the spread comes from the GP's predictive standard deviation
instead: the ``num_ensemble`` members share one GP, and member ``i`` answers ``mean + c_i *
std`` with offsets ``c`` (normal quantiles, centred and scaled) whose mean is 0 and whose
population standard deviation is 1. NASLib's ``np.mean`` and ``np.std`` over the members then
give back exactly the GP's mean and standard deviation.
"""
from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator, Sequence
from statistics import NormalDist
from typing import Any

import numpy as np

from naslib_oe import zoo
from naslib_oe.errors import ConfigError
from naslib_oe.predictors.base import as_dags
from naslib_oe.spaces import canonical_space_name, get_space

#: our predictor types -> the zoo embedding they use
OE_PREDICTOR_TYPES = {"oe": "learned", "oe_onehot": "onehot", "oe_ft": "learned", "oe_onehot_ft": "onehot"}
#: the refit the ``*_ft`` types make on each training set
FINETUNE = "embedding+head"

_naslib_get_ensemble: Any = None  # NASLib's own Ensemble.get_ensemble while ours is in place


def zoo_model_for(space: str, embedding: str) -> str:
    """The ``zoo:<name>`` of the D-VAE-encoder model for ``space`` with ``embedding``."""
    space = canonical_space_name(space)
    for name in zoo.available():
        card = zoo.get(name, verify=False).card
        if card["space"] == space and card["embedding"] == embedding and card.get("encoder") == "dvae":
            return zoo.PREFIX + name
    raise ConfigError(f"the zoo has no {embedding} D-VAE for {space}; predictor types "
                      f"{sorted(OE_PREDICTOR_TYPES)} need one (zoo: {', '.join(zoo.available())})")


@functools.lru_cache(maxsize=4)
def _zoo_vae(checkpoint: str, space: str):
    from naslib_oe.models import GraphVAE

    return GraphVAE.load(checkpoint, get_space(space)).eval()


def member_offsets(n: int) -> np.ndarray:
    """``[n]`` offsets with mean 0 and population standard deviation 1 (0 for one member)."""
    if n == 1:
        return np.zeros(1)
    q = np.array([NormalDist().inv_cdf((i + 0.5) / n) for i in range(n)])
    q -= q.mean()
    return q / q.std()


class SharedGP:
    """One OE predictor (zoo VAE + GP head) shared by an ensemble's members; it refits only
    when the training set changes, and answers the last query from a cache."""

    def __init__(self, predictor_type: str, ss_type: str, seed: int = 0):
        from naslib_oe.predictors import OEPredictor

        space = canonical_space_name(ss_type)
        vae = _zoo_vae(zoo_model_for(space, OE_PREDICTOR_TYPES[predictor_type]), space)
        self.predictor = OEPredictor(vae=vae, head="gp", seed=seed,
                                     finetune=FINETUNE if predictor_type.endswith("_ft") else None)
        self.space = vae.space
        self._fitted_on: Any = None
        self._last: tuple[Any, tuple[np.ndarray, np.ndarray]] | None = None

    def _key(self, xs: Sequence[Any], y: Sequence[float] | None = None) -> tuple:
        dags = as_dags(list(xs))
        return tuple(self.space.hash(d) for d in dags), None if y is None else np.asarray(y, float).tobytes()

    def fit(self, xtrain: Sequence[Any], ytrain: Sequence[float]) -> None:
        key = self._key(xtrain, ytrain)
        if key != self._fitted_on:
            self.predictor.fit(xtrain, ytrain)
            self._fitted_on, self._last = key, None

    def predict(self, xtest: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
        key = self._key(xtest)
        if self._last is None or self._last[0] != key:
            self._last = key, self.predictor.query_with_uncertainty(xtest)
        return self._last[1]


def _member_class():
    """NASLib's ``Predictor`` subclass for one member (built when NASLib is importable)."""
    from naslib.predictors.predictor import Predictor

    class OEEnsembleMember(Predictor):
        """Member ``offset`` of a shared GP: answers ``mean + offset * std``."""

        def __init__(self, shared: SharedGP, offset: float, ss_type: str):
            super().__init__(ss_type=ss_type, encoding_type="oe_latent")
            self.shared, self.offset = shared, float(offset)

        def fit(self, xtrain, ytrain, train_info=None):
            self.shared.fit(xtrain, ytrain)
            mean, _ = self.shared.predict(xtrain)
            return float(np.sqrt(np.mean((mean - np.asarray(ytrain, float)) ** 2)))  # train RMSE, as NASLib's

        def query(self, xtest, info=None):
            mean, std = self.shared.predict(xtest)
            return mean + self.offset * std

    return OEEnsembleMember


def _members(ensemble: Any) -> list[Any]:
    seed = int(getattr(getattr(ensemble, "config", None), "seed", 0) or 0)
    shared = SharedGP(ensemble.predictor_type, ensemble.ss_type, seed=seed)
    member = _member_class()
    return [member(shared, c, ensemble.ss_type) for c in member_offsets(ensemble.num_ensemble)]


def register() -> None:
    """Make ``oe`` and ``oe_onehot`` known to NASLib's ``Ensemble`` (idempotent)."""
    global _naslib_get_ensemble
    from naslib.predictors.ensemble import Ensemble

    if _naslib_get_ensemble is not None:
        return
    naslib_get_ensemble = Ensemble.get_ensemble

    @functools.wraps(naslib_get_ensemble)
    def get_ensemble(self):
        if self.predictor_type in OE_PREDICTOR_TYPES:
            return _members(self)
        return naslib_get_ensemble(self)

    _naslib_get_ensemble = naslib_get_ensemble
    Ensemble.get_ensemble = get_ensemble


def unregister() -> None:
    """Put NASLib's own ``Ensemble.get_ensemble`` back."""
    global _naslib_get_ensemble
    if _naslib_get_ensemble is None:
        return
    from naslib.predictors.ensemble import Ensemble

    Ensemble.get_ensemble, _naslib_get_ensemble = _naslib_get_ensemble, None


def registered() -> bool:
    return _naslib_get_ensemble is not None


@contextlib.contextmanager
def oe_predictor_types() -> Iterator[None]:
    """``oe``/``oe_onehot`` registered inside the block; the previous state restored after."""
    was = registered()
    register()
    try:
        yield
    finally:
        if not was:
            unregister()


def register_if_naslib() -> bool:
    """Register when NASLib imports here; False (and nothing touched) when it does not."""
    import importlib.util

    from naslib_oe.naslib.runner import NASLibMissing, require_naslib

    if importlib.util.find_spec("naslib") is None:
        return False
    try:
        require_naslib()
    except NASLibMissing:
        return False
    register()
    return True
