"""Tabular benchmarks: look up the recorded performance of an architecture.

A :class:`TabularBenchmark` holds one row per distinct architecture of a search space
(distinct by the space's :meth:`~naslib_oe.spaces.SearchSpace.hash`) and one column per
``(dataset, metric, epochs)``. Columns are numpy arrays aligned with :attr:`dags`, so a
whole column can be used at once (pools, optima, surrogate training).

Accuracies are in percent everywhere, as NASLib reports them. A query for an architecture
or a metric the table lacks raises; it never returns a made-up number.
"""
from __future__ import annotations

from enum import Enum
from typing import Iterable, Mapping, Sequence

import numpy as np

from naslib_oe.errors import ConfigError, NaslibOEError
from naslib_oe.spaces import ArchDAG, SearchSpace


class Metric(Enum):
    """What a query asks for (the names of NASLib's ``Metric``)."""

    VAL_ACCURACY = "val_acc"
    TEST_ACCURACY = "test_acc"
    TRAIN_TIME = "train_time"
    PARAMETERS = "params"
    FLOPS = "flops"

    @classmethod
    def parse(cls, value: "Metric | str") -> "Metric":
        """Accept a Metric, its name (``VAL_ACCURACY``) or value (``val_acc``)."""
        if isinstance(value, cls):
            return value
        text = str(value)
        for m in cls:
            if text.upper() == m.name or text.lower() == m.value:
                return m
        # NASLib's own enum members (when NASLib is installed) carry the same names.
        name = getattr(value, "name", None)
        if name in cls.__members__:
            return cls[name]
        raise ConfigError(f"unknown metric {value!r}; expected one of {[m.name for m in cls]}")


#: Canonical dataset names (NASLib's), with the aliases users type.
DATASET_ALIASES = {
    "cifar10": "cifar10",
    "cifar100": "cifar100",
    "imagenet16-120": "ImageNet16-120",
    "imagenet16": "ImageNet16-120",
    "imagenet": "ImageNet16-120",
}


def canonical_dataset(name: str) -> str:
    try:
        return DATASET_ALIASES[name.lower()]
    except KeyError:
        raise ConfigError(f"unknown dataset {name!r}; expected one of {sorted(set(DATASET_ALIASES.values()))}") from None


class ArchitectureNotInBenchmark(NaslibOEError, KeyError):
    """The queried architecture has no row in the table."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class MetricNotAvailable(NaslibOEError, KeyError):
    """The table has no value for this metric / dataset / budget."""

    def __str__(self) -> str:
        return str(self.args[0])


ColumnKey = tuple[str, Metric, int | None]


class TabularBenchmark:
    """A lookup table over a search space.

    Args:
        space: the codec of the space the table belongs to.
        dags: one architecture per row (duplicates by ``space.hash`` are merged, see below).
        columns: ``{(dataset, metric, epochs): values}``, each aligned with ``dags``; NaN
            marks a missing value. ``epochs=None`` is the benchmark's full training budget.
        name: shown in messages.
        source: the file(s) the table was read from.
        default_dataset: used when a query names none.
        hashes: ``space.hash`` of each row when the source already has them (NB101's md5
            keys), to save recomputing them.

    Rows whose architectures hash alike are merged by averaging; :attr:`notes` says how many
    were merged (ENAS's table repeats 5 architectures with equal accuracies). Such facts about
    the data are shown by ``naslib-oe data`` and in run summaries, not warned on every load.
    """

    def __init__(
        self,
        space: SearchSpace,
        dags: Sequence[ArchDAG],
        columns: Mapping[ColumnKey, Sequence[float]],
        name: str,
        source: str,
        default_dataset: str,
        hashes: Sequence[str] | None = None,
    ):
        self.space = space
        self.name = name
        self.source = source
        self.default_dataset = default_dataset
        hashes = list(hashes) if hashes is not None else [space.hash(d) for d in dags]
        unique_of: dict[str, int] = {}
        row_of = np.empty(len(dags), dtype=np.int64)
        self.dags: list[ArchDAG] = []
        for i, h in enumerate(hashes):
            if h not in unique_of:
                unique_of[h] = len(self.dags)
                self.dags.append(dags[i])
            row_of[i] = unique_of[h]
        self._index = unique_of
        n_merged = len(dags) - len(self.dags)
        #: facts about the data a user should know once (repeats merged), one sentence each
        self.notes: list[str] = [f"{name}: {n_merged} repeated architectures in {source} were merged "
                                 f"(their values averaged)"] if n_merged else []
        self._columns: dict[ColumnKey, np.ndarray] = {}
        for key, values in columns.items():
            values = np.asarray(values, dtype=np.float64)
            if values.shape != (len(dags),):
                raise ValueError(f"column {key} has {values.shape} values for {len(dags)} rows")
            # NaN-aware mean over merged rows
            sums = np.bincount(row_of, weights=np.nan_to_num(values), minlength=len(self.dags))
            present = np.bincount(row_of, weights=~np.isnan(values), minlength=len(self.dags))
            with np.errstate(invalid="ignore", divide="ignore"):
                merged = np.where(present > 0, sums / np.maximum(present, 1), np.nan)
            self._columns[(key[0], Metric.parse(key[1]), key[2])] = merged

    def training_split(self) -> tuple[list[ArchDAG], list[float]] | None:
        """The architectures and accuracies a search may know before its first query (the BO's
        prior, as D-VAE's ENAS training table is), or None where the benchmark defines none."""
        return None

    # --- queries ------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.dags)

    def __contains__(self, dag: ArchDAG) -> bool:
        return self.index_of(dag) is not None

    def index_of(self, dag: ArchDAG) -> int | None:
        """Row of ``dag``, or None when it is not in the table (or not in the space)."""
        if not self.space.is_valid(dag):
            return None
        return self._index.get(self.space.hash(dag))

    @property
    def datasets(self) -> list[str]:
        return sorted({k[0] for k in self._columns})

    def available(self) -> list[ColumnKey]:
        """Every ``(dataset, metric, epochs)`` the table answers."""
        return sorted(self._columns, key=lambda k: (k[0], k[1].name, k[2] or 0))

    def column(self, metric: Metric | str = Metric.VAL_ACCURACY, dataset: str | None = None,
               epochs: int | None = None) -> np.ndarray:
        """All values of one metric, aligned with :attr:`dags` (NaN where missing)."""
        key = (self.resolve_dataset(dataset), Metric.parse(metric), epochs)
        if key not in self._columns:
            have = ", ".join(f"{d}/{m.name}" + (f"@{e}ep" if e else "") for d, m, e in self.available())
            raise MetricNotAvailable(
                f"{self.name} ({self.source}) has no {key[1].name} on {key[0]}"
                + (f" at {epochs} epochs" if epochs else "") + f"; it has: {have}"
            )
        return self._columns[key]

    def query(self, dag: ArchDAG, metric: Metric | str = Metric.VAL_ACCURACY, dataset: str | None = None,
              epochs: int | None = None) -> float:
        """The recorded value of ``metric`` for ``dag`` (accuracies in percent).

        Raises:
            ArchitectureNotInBenchmark: ``dag`` has no row; the message names it.
            MetricNotAvailable: the table lacks this metric, dataset or budget.
        """
        col = self.column(metric, dataset, epochs)
        row = self.index_of(dag)
        if row is None:
            reason = self.space.invalid_reason(dag)
            what = self._describe(dag)
            raise ArchitectureNotInBenchmark(
                f"{what} is not in {self.name} ({self.source})"
                + (f": it is not a valid {self.space.name} architecture ({reason})" if reason else "")
            )
        value = col[row]
        if np.isnan(value):
            raise MetricNotAvailable(f"{self.name} has no {Metric.parse(metric).name} for {self._describe(dag)}")
        return float(value)

    def best(self, metric: Metric | str = Metric.VAL_ACCURACY, dataset: str | None = None,
             epochs: int | None = None) -> tuple[ArchDAG, float]:
        """The architecture with the highest value of ``metric``, and that value."""
        col = self.column(metric, dataset, epochs)
        row = int(np.nanargmax(col))
        return self.dags[row], float(col[row])

    def top(self, k: int, metric: Metric | str = Metric.VAL_ACCURACY, dataset: str | None = None) -> list[ArchDAG]:
        """The ``k`` architectures with the highest ``metric``, best first, and any tied with the
        ``k``-th (so that which of equal cells count is not an accident of row order)."""
        col = np.nan_to_num(self.column(metric, dataset), nan=-np.inf)
        order = np.argsort(-col, kind="stable")
        cut = col[order[min(k, len(order)) - 1]]
        return [self.dags[i] for i in order if col[i] >= cut]

    def architectures(self) -> list[ArchDAG]:
        return list(self.dags)

    def resolve_dataset(self, dataset: str | None) -> str:
        """The table's name for ``dataset`` (its default when None); raises if it has none such."""
        if dataset is None:
            return self.default_dataset
        name = canonical_dataset(dataset)
        if name not in self.datasets:
            raise MetricNotAvailable(f"{self.name} has no dataset {dataset!r}; it has {self.datasets}")
        return name

    def _describe(self, dag: ArchDAG) -> str:
        try:
            return f"{self.space.name} architecture {self.space.to_string(dag)}"
        except Exception:  # invalid DAGs have no native string
            return repr(dag)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self)} architectures, datasets={self.datasets}, source={self.source})"


def stack_columns(rows: Iterable[Mapping[ColumnKey, float]], keys: Sequence[ColumnKey]) -> dict[ColumnKey, list[float]]:
    """Per-row dicts -> per-column lists (NaN for a missing entry)."""
    cols: dict[ColumnKey, list[float]] = {k: [] for k in keys}
    for row in rows:
        for k in keys:
            cols[k].append(float(row.get(k, np.nan)))
    return cols
