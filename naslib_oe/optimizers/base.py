"""The optimizer contract: NASLib's ``MetaOptimizer``, for black-box search.

Every optimizer here works on a :class:`Problem` (our search-space codec plus an evaluator)
and spends one query per ``new_epoch``. It subclasses NASLib's ``MetaOptimizer`` when NASLib
is importable and otherwise :class:`LocalMetaOptimizer`, which has the same methods, so our
harness and NASLib's ``Trainer`` drive the very same object.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from naslib_oe import naslib_compat
from naslib_oe.benchmarks.evaluators import EvalResult
from naslib_oe.errors import ConfigError
from naslib_oe.problem import Problem, Query, foreign_problem
from naslib_oe.spaces import ArchDAG


class LocalMetaOptimizer:
    """The methods of NASLib's ``MetaOptimizer`` (used when NASLib is not installed)."""

    using_step_function = True

    def adapt_search_space(self, search_space: Any, scope: str | None = None, dataset_api: Any = None) -> None:
        raise NotImplementedError

    def new_epoch(self, epoch: int) -> None:
        pass

    def before_training(self) -> None:
        pass

    def after_training(self) -> None:
        pass

    def train_statistics(self, report_incumbent: bool = True):
        raise NotImplementedError

    def test_statistics(self):
        raise NotImplementedError

    def get_final_architecture(self):
        raise NotImplementedError

    def get_op_optimizer(self):
        raise NotImplementedError

    def get_checkpointables(self) -> dict:
        raise NotImplementedError

    def get_model_size(self) -> float:
        return 0.0


try:  # NASLib is optional; see naslib_oe.naslib
    naslib_compat.apply()
    from naslib.optimizers.core.metaclasses import MetaOptimizer as _Base
except Exception:  # ImportError, or a NASLib that does not import on this Python
    _Base = LocalMetaOptimizer


class BlackBoxOptimizer(_Base):
    """Shared bookkeeping of query-based optimizers: history, incumbent, statistics.

    Subclasses implement :meth:`propose` (the next new architecture) and may override
    :meth:`observe`. ``new_epoch`` queries the proposal through the problem's evaluator.
    """

    using_step_function = False
    name = "blackbox"

    def __init__(self, seed: int = 0, dataset: str | None = None):
        super().__init__()
        self.seed = seed
        self.dataset = dataset  # what NASLib search spaces are queried on
        self.rng = np.random.default_rng(seed)
        self.history: list[Query] = []
        self.problem: Problem | None = None
        self._seen: set[str] = set()

    # --- NASLib contract --------------------------------------------------------------------
    def adapt_search_space(self, search_space: Any, scope: str | None = None, dataset_api: Any = None) -> None:
        """Take what to search: a naslib_oe :class:`Problem`, or a NASLib search-space object
        (NB201, NB101, or our :class:`~naslib_oe.naslib.EnasSearchSpace`) with its ``dataset_api``,
        queried on ``self.dataset`` through ``search_space.query`` as NASLib's optimizers do."""
        if isinstance(search_space, Problem):
            self.problem = search_space
        else:
            if self.dataset is None:
                raise ConfigError(f"{type(self).__name__}: a NASLib search space is queried on a dataset; "
                                 f"build the optimizer from a config with `dataset:`")
            self.problem = foreign_problem(search_space, self.dataset, dataset_api)
        self.on_problem()

    def on_problem(self) -> None:
        """Hook: called once the problem is known."""

    def new_epoch(self, epoch: int) -> None:
        """Spend one query on the next proposal."""
        if self.problem is None:
            raise RuntimeError(f"{type(self).__name__}: call adapt_search_space before new_epoch")
        dag = self.propose()
        key = self.problem.space.hash(dag)
        if key in self._seen:
            raise RuntimeError(f"{type(self).__name__} proposed an architecture it already queried")
        self._seen.add(key)
        result = self.problem.evaluator.query(dag)
        self.history.append(Query(dag, result))
        self.observe(dag, result)

    def propose(self) -> ArchDAG:
        raise NotImplementedError

    def observe(self, dag: ArchDAG, result: EvalResult) -> None:
        """Hook: a query's result."""

    def incumbent(self) -> Query:
        if not self.history:
            raise RuntimeError(f"{type(self).__name__}: no query yet")
        return max(self.history, key=lambda q: q.result.val_acc)

    def train_statistics(self, report_incumbent: bool = True):
        """``(train_acc, val_acc, test_acc, train_time)`` of the incumbent (or the last query).

        Tables have no train accuracy: it is reported as -1, as NASLib does for missing values.
        """
        q = self.incumbent() if report_incumbent else self.history[-1]
        test = q.result.test_acc if q.result.test_acc is not None else -1.0
        return -1.0, q.result.val_acc, test, q.result.cost

    def test_statistics(self):
        test = self.incumbent().result.test_acc
        return test if test is not None else -1.0

    def get_final_architecture(self) -> Any:
        """The incumbent: an :class:`ArchDAG`, or the NASLib object when the problem came from NASLib."""
        dag = self.incumbent().dag
        return self.problem.to_native(dag) if self.problem.to_native else dag

    def get_op_optimizer(self):
        raise NotImplementedError(f"{type(self).__name__} is a black-box optimizer; it has no op optimizer")

    def get_checkpointables(self) -> dict:
        return {"model": torch.nn.Module()}

    # --- helpers -----------------------------------------------------------------------------
    def is_new(self, dag: ArchDAG) -> bool:
        return self.problem.space.hash(dag) not in self._seen

    def random_new(self, tries: int = 10_000) -> ArchDAG:
        """A uniformly random architecture not queried yet."""
        for _ in range(tries):
            dag = self.problem.space.sample(self.rng)
            if self.is_new(dag):
                return dag
        raise RuntimeError(f"no unqueried {self.problem.space.name} architecture in {tries} random draws")
