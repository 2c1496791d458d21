"""A NASLib search-space object (plus its dataset API) as a naslib_oe :class:`Problem`.

Our optimizers search over :class:`ArchDAG` s; this turns each DAG back into a NASLib
architecture and queries it with ``arch.query(Metric.VAL_ACCURACY, dataset, dataset_api=...)``
exactly as NASLib's own optimizers do, so budgets and numbers are NASLib's.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

from naslib_oe.benchmarks.evaluators import EvalResult
from naslib_oe.errors import ConfigError
from naslib_oe.naslib.adapters import adapter_of, known_spaces
from naslib_oe.naslib.dataset_api import MissingMetricError
from naslib_oe.problem import Problem
from naslib_oe.spaces import ArchDAG, SearchSpace, get_space


class NASLibEvaluator:
    """Answers ``query(dag)`` through a NASLib search space's own ``query``.

    Test accuracy and train time are reported where the dataset API has them; NASLib's
    "not recorded" marker (a negative value) and :class:`MissingMetricError` become
    "none" (``test_acc=None``, ``cost=0``), never a number.
    """

    def __init__(self, space: SearchSpace, dataset: str, dataset_api: Any, to_native: Callable[[ArchDAG], Any],
                 candidates: Callable[[], Sequence[ArchDAG]] = tuple):
        from naslib.search_spaces.core.query_metrics import Metric

        self.space, self.dataset, self.dataset_api = space, dataset, dataset_api
        self.to_native, self._candidates, self._metric = to_native, candidates, Metric

    def query(self, dag: ArchDAG) -> EvalResult:
        arch = self.to_native(self.space.check(dag))
        val = arch.query(self._metric.VAL_ACCURACY, self.dataset, dataset_api=self.dataset_api)
        test = self._optional(arch, self._metric.TEST_ACCURACY)
        cost = self._optional(arch, self._metric.TRAIN_TIME)
        return EvalResult(float(val), test, cost or 0.0)

    def _optional(self, arch: Any, metric: Any) -> float | None:
        try:
            value = arch.query(metric, self.dataset, dataset_api=self.dataset_api)
        except MissingMetricError:
            return None
        return float(value) if value is not None and value >= 0 else None

    def candidates(self) -> Sequence[ArchDAG]:
        return self._candidates()

    def __repr__(self) -> str:
        return f"NASLibEvaluator({self.space.name}, {self.dataset})"


def problem_from_naslib(search_space: Any, dataset: str, dataset_api: Any) -> Problem:
    """The :class:`Problem` for a NASLib search-space object of a space the shell knows (see
    :mod:`~naslib_oe.naslib.adapters`); ``get_final_architecture`` then returns NASLib objects."""
    if not hasattr(search_space, "get_type"):
        raise ConfigError(f"naslib_oe optimizers search NASLib search spaces ({', '.join(known_spaces())}); got a "
                          f"{type(search_space).__name__!r} search space")
    spec = adapter_of(search_space)
    if spec.problem is not None:
        return spec.problem(search_space, dataset, dataset_api)
    space, to_native = get_space(spec.name), spec.native(search_space)
    # a table of the whole space is the candidate pool; NB101's 423k cells are proposed by decoding
    candidates = space.all_architectures if spec.whole_table else tuple
    return Problem(space, NASLibEvaluator(space, dataset, dataset_api, to_native, candidates), to_native)
