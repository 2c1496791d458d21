"""The NASLib shell: what lets NASLib and naslib_oe use each other.

* :mod:`~naslib_oe.naslib.adapters`: one adapter per search space (how it appears in NASLib),
  which every part below looks up instead of branching on space names;
* :mod:`~naslib_oe.naslib.convert`: NASLib's NB201/NB101 encodings <-> our ``ArchDAG``;
* :mod:`~naslib_oe.naslib.dataset_api`: NASLib ``dataset_api`` objects from our data files;
* :mod:`~naslib_oe.naslib.enas_space`: the ENAS space in NASLib's search-space interface;
* :mod:`~naslib_oe.naslib.problem`: a NASLib search space as a problem for our optimizers;
* :mod:`~naslib_oe.naslib.wrapped`: NASLib's optimizers inside our harness (``naslib-re``, ...),
  registered with :mod:`naslib_oe.optimizers` when this package is imported;
* :mod:`~naslib_oe.naslib.runner`: ``naslib-oe naslib-run``, NASLib's ``Trainer`` with ``oe_dvae``;
* :mod:`~naslib_oe.naslib.predictor_types`: ``predictor_type: oe`` / ``oe_onehot`` in NASLib's
  ``Ensemble`` (BANANAS, NPENAS, ``PredictorEvaluator``), registered when this package is
  imported with NASLib importable.

``import naslib_oe`` works without NASLib; whatever needs NASLib imports it when called and
says so clearly when it is missing. Before NASLib is imported, :mod:`naslib_oe.naslib_compat`
puts its shims for Python 3.11 and numpy 2 in force.
"""
from naslib_oe.naslib.adapters import dag_from_naslib
from naslib_oe.naslib.dataset_api import MissingMetricError, evaluator_dataset_api, nb201_dataset_api
from naslib_oe.naslib.enas_space import EnasSearchSpace
from naslib_oe.naslib import wrapped  # noqa: F401  (registers the naslib-* optimizers)
from naslib_oe.naslib.predictor_types import register_if_naslib
from naslib_oe.naslib.problem import problem_from_naslib
from naslib_oe.problem import register_foreign

register_foreign(problem_from_naslib, dag_from_naslib)  # what the layers below hand NASLib's objects to
register_if_naslib()

__all__ = ["EnasSearchSpace", "MissingMetricError", "evaluator_dataset_api", "nb201_dataset_api"]
