"""Evaluators: what a search queries (DESIGN.md section 6).

An evaluator answers ``query(dag) -> EvalResult``. Each call is one unit of query budget,
whoever makes it. :class:`TableEvaluator` is exact and answers only architectures in its
table; :class:`SurrogateEvaluator` answers the rest from a fitted predictor and flags every
value it made up (``surrogate=True``).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol, Sequence

from naslib_oe.benchmarks.base import Metric, MetricNotAvailable, TabularBenchmark
from naslib_oe.errors import ConfigError
from naslib_oe.spaces import ArchDAG, SearchSpace


@dataclass(frozen=True)
class EvalResult:
    """One query's answer. Accuracies in percent; ``test_acc`` is None where the benchmark has
    none (ENAS); ``cost`` is the training time in seconds the benchmark records (0 if none)."""

    val_acc: float
    test_acc: float | None = None
    cost: float = 0.0
    surrogate: bool = False

    def as_dict(self) -> dict:
        return asdict(self)


class Evaluator(Protocol):
    space: SearchSpace
    dataset: str

    def query(self, dag: ArchDAG) -> EvalResult: ...

    def candidates(self) -> Sequence[ArchDAG]:
        """Architectures this evaluator answers exactly (the pool for pool-mode proposals)."""
        ...


class TableEvaluator:
    """Exact answers from a tabular benchmark; querying an architecture outside the table
    raises :class:`~naslib_oe.benchmarks.ArchitectureNotInBenchmark`."""

    def __init__(self, bench: TabularBenchmark, dataset: str | None = None):
        self.bench = bench
        self.space = bench.space
        self.dataset = bench.resolve_dataset(dataset)
        self.val = bench.column(Metric.VAL_ACCURACY, self.dataset)  # fails early on a bad dataset
        self.test = self._optional(Metric.TEST_ACCURACY)
        self.cost = self._optional(Metric.TRAIN_TIME)

    def _optional(self, metric: Metric):
        try:
            return self.bench.column(metric, self.dataset)
        except MetricNotAvailable:
            return None

    def __contains__(self, dag: ArchDAG) -> bool:
        return dag in self.bench

    def query(self, dag: ArchDAG) -> EvalResult:
        val = self.bench.query(dag, Metric.VAL_ACCURACY, self.dataset)
        row = self.bench.index_of(dag)
        test = None if self.test is None or math.isnan(self.test[row]) else float(self.test[row])
        cost = 0.0 if self.cost is None or math.isnan(self.cost[row]) else float(self.cost[row])
        return EvalResult(val, test, cost)

    def candidates(self) -> Sequence[ArchDAG]:
        return self.bench.dags

    def best(self) -> tuple[ArchDAG, float]:
        """The table's best architecture by validation accuracy, and that accuracy."""
        return self.bench.best(Metric.VAL_ACCURACY, self.dataset)

    def __repr__(self) -> str:
        return f"TableEvaluator({self.bench.name}, {self.dataset})"


class Predictor(Protocol):
    def predict(self, dags: Sequence[ArchDAG]) -> Sequence[float]: ...


class SurrogateEvaluator(TableEvaluator):
    """The table where it has the architecture, a fitted ``predictor`` elsewhere.

    Values from the predictor carry ``surrogate=True`` and no test accuracy. Invalid
    architectures are refused, never predicted.
    """

    def __init__(self, bench: TabularBenchmark, predictor: Predictor, dataset: str | None = None):
        super().__init__(bench, dataset)
        self.predictor = predictor

    def query(self, dag: ArchDAG) -> EvalResult:
        if dag in self.bench:
            return super().query(dag)
        self.space.check(dag)
        return EvalResult(float(self.predictor.predict([dag])[0]), None, 0.0, surrogate=True)

    def __repr__(self) -> str:
        return f"SurrogateEvaluator({self.bench.name}, {self.dataset}, {type(self.predictor).__name__})"


def check_budget(bench: TabularBenchmark, kind: str, budget: int, key: str) -> None:
    """Raise a ``ConfigError`` naming ``key`` when ``budget`` exceeds the distinct architectures
    a search can query with evaluator ``kind``: the table's size for ``table`` (no optimizer
    repeats a query, so a larger budget cannot be spent); ``surrogate`` answers any valid one."""
    if kind == "table" and budget > len(bench):
        raise ConfigError(f"{key} {budget} exceeds the {len(bench)} distinct architectures of {bench.name} that the "
                          f"'table' evaluator answers; give a budget <= {len(bench)}")


def make_evaluator(bench: TabularBenchmark, kind: str = "table", dataset: str | None = None,
                   seed: int = 0, store: str | Path | None = None) -> tuple[TableEvaluator, object | None]:
    """``table`` or ``surrogate`` evaluator over ``bench``, and the surrogate's held-out quality
    (:class:`~naslib_oe.benchmarks.surrogate.SurrogateQuality`; None for ``table``).

    With ``store`` (a run folder), the surrogate is fit once from ``seed`` and kept there, and
    every later call with that folder scores against the same one.
    """
    if kind == "table":
        return TableEvaluator(bench, dataset), None
    if kind == "surrogate":
        from naslib_oe.benchmarks.surrogate import fit_table_surrogate, stored_table_surrogate

        predictor, quality = (stored_table_surrogate(bench, dataset, seed, store) if store is not None
                              else fit_table_surrogate(bench, dataset, seed=seed))
        return SurrogateEvaluator(bench, predictor, dataset), quality
    raise ConfigError(f"unknown evaluator {kind!r}; expected 'table' or 'surrogate'")
