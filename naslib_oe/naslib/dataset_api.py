"""NASLib ``dataset_api`` objects built from our benchmark files (no NASLib import needed).

NASLib's ``get_dataset_api`` reads its own downloads from fixed paths. These adapters answer
the same lookups from our data, so that whoever has NASLib but not its files can search:

* :func:`nb201_dataset_api`: ``{"nb201_data": {arch_str: {dataset: record}}}`` from
  ``nb201_table.csv``, as NASLib's ``NasBench201SearchSpace.query`` reads it. The table has
  one value per architecture and dataset at 200 epochs: NASLib's validation accuracy, which
  NASLib also returns for ``TEST_ACCURACY`` (it reads ``eval_acc1es`` for both). Our table's
  separate test column (the averaged ori-test value) is not visible through NASLib's query.
* :func:`evaluator_dataset_api`: wraps one of our evaluators for
  :class:`~naslib_oe.naslib.enas_space.EnasSearchSpace`.

Asking for what the table lacks (learning curves, losses, train accuracy, train time,
FLOPs, ...) raises :class:`MissingMetricError`, which names the metric and the file. NASLib's
``Trainer`` asks every optimizer for train accuracy, train time and test accuracy after each
query, to log them; pass ``report_missing_as=-1`` (NASLib's own marker for "not recorded") to
answer those reporting metrics with it instead. The runner does, and warns once per metric.
"""
from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any, Iterator

from naslib_oe.benchmarks import NB201Benchmark
from naslib_oe.benchmarks.base import Metric
from naslib_oe.benchmarks.evaluators import Evaluator

#: NASLib's dataset keys in the NB201 data -> our table's dataset names
NASLIB_NB201_DATASETS = {"cifar10-valid": "cifar10", "cifar100": "cifar100", "ImageNet16-120": "ImageNet16-120"}
#: epochs in NB201's full schedule; NASLib indexes learning curves by epoch
NB201_EPOCHS = 200
#: what NASLib's Trainer asks after every query only to log it (answered by ``report_missing_as``):
#: train accuracy and train time, and test accuracy where a benchmark has none at all (ENAS)
REPORTING_KEYS = ("train_acc1es", "train_time", "test_acc")


class MissingMetricError(KeyError):
    """A NASLib lookup for a metric our data file does not have."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class _Missing:
    """What to do when a metric is absent: raise, or answer a reporting key with a marker."""

    def __init__(self, source: str, report_missing_as: float | None, holds: str):
        self.source, self.fill, self.holds = source, report_missing_as, holds
        self._warned: set[str] = set()

    def __call__(self, key: str, dataset: str) -> Any:
        if self.fill is not None and key in REPORTING_KEYS:
            if key not in self._warned:
                self._warned.add(key)
                warnings.warn(f"{self.source} has no {key!r}; NASLib's log gets {self.fill} for it", stacklevel=3)
            return self.fill
        raise MissingMetricError(f"{self.source} has no {key!r} for {dataset}: {self.holds}")


class _FinalEpoch(Sequence):
    """A 200-epoch learning curve of which only the last value is known."""

    def __init__(self, value: float, key: str, missing: _Missing):
        self.value, self.key, self.missing = value, key, missing

    def __len__(self) -> int:
        return NB201_EPOCHS

    def __getitem__(self, epoch):
        if isinstance(epoch, int) and epoch in (-1, NB201_EPOCHS - 1):
            return self.value
        raise MissingMetricError(
            f"{self.missing.source}: {self.key}[{epoch}] asked for, but only the final epoch "
            f"(index -1 or {NB201_EPOCHS - 1}) is recorded; full learning curves need NASLib's NB201 data files")


class _DatasetRecord(Mapping):
    """NASLib's per-dataset record of one architecture: ``eval_acc1es`` and ``cost_info``."""

    def __init__(self, val_acc: float, dataset: str, missing: _Missing):
        self.val_acc, self.dataset, self.missing = val_acc, dataset, missing

    def __getitem__(self, key: str):
        if key == "eval_acc1es":
            return _FinalEpoch(self.val_acc, key, self.missing)
        if key == "cost_info":
            return _CostInfo(self.dataset, self.missing)
        value = self.missing(key, self.dataset)
        return _FinalEpoch(value, key, self.missing) if key.endswith("1es") else value  # a curve

    def __iter__(self) -> Iterator[str]:
        return iter(("eval_acc1es", "cost_info"))

    def __len__(self) -> int:
        return 2


class _CostInfo(Mapping):
    def __init__(self, dataset: str, missing: _Missing):
        self.dataset, self.missing = dataset, missing

    def __getitem__(self, key: str):
        return self.missing(key, self.dataset)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


class NB201TableData(Mapping):
    """``dataset_api["nb201_data"]``: arch string -> ``{NASLib dataset key: record}``."""

    def __init__(self, bench: NB201Benchmark, report_missing_as: float | None = None):
        self.bench = bench
        self.missing = _Missing(f"{bench.name} ({bench.source})", report_missing_as,
                                "it holds only the 200-epoch validation accuracy (eval_acc1es[-1]); use NASLib's "
                                "own NB201 data files for learning curves, losses, times and costs")
        self.columns = {key: bench.column(Metric.VAL_ACCURACY, ours) for key, ours in NASLIB_NB201_DATASETS.items()}

    def __getitem__(self, arch_str: str) -> dict[str, _DatasetRecord]:
        row = self.bench.index_of(self.bench.space.to_dag(arch_str))
        if row is None:
            raise KeyError(f"{arch_str} is not in {self.bench.source}")
        return {key: _DatasetRecord(float(col[row]), key, self.missing) for key, col in self.columns.items()}

    def __iter__(self) -> Iterator[str]:
        return (self.bench.space.to_string(dag) for dag in self.bench.dags)

    def __len__(self) -> int:
        return len(self.bench)


def nb201_dataset_api(path: str | None = None, report_missing_as: float | None = None) -> dict[str, Any]:
    """NASLib's NB201 ``dataset_api`` from our table (``path``, else the usual data lookup)."""
    return {"nb201_data": NB201TableData(NB201Benchmark.load(path), report_missing_as)}


def evaluator_dataset_api(evaluator: Evaluator, report_missing_as: float | None = None,
                          prior: Any = None) -> dict[str, Any]:
    """The ``dataset_api`` of :class:`~naslib_oe.naslib.enas_space.EnasSearchSpace`: our evaluator,
    what to answer for metrics it lacks (test accuracy and train time on ENAS), and the
    :class:`~naslib_oe.problem.Prior` that ``oe_dvae`` fits its GP on as well (None: none)."""
    holds = "it answers validation accuracy" + (" and test accuracy where its table has one"
                                                 if evaluator.space.name != "enas" else " only")
    return {"evaluator": evaluator, "missing": _Missing(repr(evaluator), report_missing_as, holds), "prior": prior}
