"""The NASLib shell: what lets NASLib and naslib_oe use each other.

* :mod:`~naslib_oe.naslib.convert`: NASLib's NB201/NB101 encodings <-> our ``ArchDAG``;
* :mod:`~naslib_oe.naslib.dataset_api`: NASLib ``dataset_api`` objects from our data files;
* :mod:`~naslib_oe.naslib.enas_space`: the ENAS space in NASLib's search-space interface;
* :mod:`~naslib_oe.naslib.problem`: a NASLib search space as a problem for our optimizers;
* :mod:`~naslib_oe.naslib.wrapped`: NASLib's optimizers inside our harness (``naslib-re``, ...),
  registered with :mod:`naslib_oe.optimizers` when this package is imported;
* :mod:`~naslib_oe.naslib.runner`: ``naslib-oe naslib-run``, NASLib's ``Trainer`` with ``oe_dvae``.

Nothing here imports NASLib at import time, so ``import naslib_oe`` works without it;
whatever needs NASLib imports it when called and says so clearly when it is missing.
"""
from naslib_oe.naslib.dataset_api import MissingMetricError, evaluator_dataset_api, nb201_dataset_api
from naslib_oe.naslib.enas_space import EnasSearchSpace
from naslib_oe.naslib import wrapped  # noqa: F401  (registers the naslib-* optimizers)

__all__ = ["EnasSearchSpace", "MissingMetricError", "evaluator_dataset_api", "nb201_dataset_api"]
