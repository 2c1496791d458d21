"""NAS-Bench-101: cells of up to 7 vertices trained on cifar10 for 108 epochs.

Two readers fill the same table:

* :meth:`NB101Benchmark.load_sample` reads the 500-architecture JSON sample
  (``nb101_sample500.json``, NASLib's zero-cost file): validation accuracy, params, flops.
* :meth:`NB101Benchmark.from_naslib_pickle` reads NASLib's ``nasbench_only108.pkl``
  (``{md5: (fixed, {epochs: [repeat results]})}``): validation and test accuracy and
  training time, averaged over NB101's 3 training repeats (NASLib picks one repeat at
  random per query; the mean is deterministic).
"""
from __future__ import annotations

import json
import os
import pickle
from typing import Any

import numpy as np

from naslib_oe.benchmarks.base import ColumnKey, Metric, TabularBenchmark, stack_columns
from naslib_oe.benchmarks.data import DataFile, DataFormatError, locate, register_data_file
from naslib_oe.spaces import ArchDAG, InvalidArchitecture, NB101Space

DATA_FILE = register_data_file(DataFile(
    "nb101_sample",
    "nb101/nb101_sample500.json",
    "c34840bc9af68b6ebaa7f052e42c1749a9a737d7243078be2a5548052bc5a0c2",
    "NAS-Bench-101, 500-architecture sample with validation accuracy (NASLib zero-cost file)",
))

FULL_EPOCHS = 108
_N = 7


def parse_sample_key(key: str) -> tuple[np.ndarray, list[int]]:
    """``"(49 adjacency ints, 7 op codes)"`` -> (7x7 matrix, op ids)."""
    values = [int(v) for v in key.strip().strip("()").split(",")]
    if len(values) != _N * _N + _N:
        raise ValueError(f"expected {_N * _N + _N} integers, got {len(values)}")
    return np.array(values[: _N * _N]).reshape(_N, _N), values[_N * _N:]


class NB101Benchmark(TabularBenchmark):
    """NAS-Bench-101 lookup table (dataset ``cifar10``), keyed by NB101's spec hash."""

    def __init__(self, dags: list[ArchDAG], columns: dict[ColumnKey, list[float]], source: str,
                 hashes: list[str] | None = None):
        super().__init__(NB101Space(), dags, columns, name="NAS-Bench-101", source=source,
                         default_dataset="cifar10", hashes=hashes)

    @classmethod
    def load_sample(cls, path: str | os.PathLike | None = None) -> "NB101Benchmark":
        """Read the 500-architecture JSON sample (see ``locate`` for ``path``)."""
        file = locate(DATA_FILE.key, path)
        try:
            with open(file, encoding="utf-8") as f:
                data = json.load(f)
            table = data["nasbench101"]["cifar10"]
        except (json.JSONDecodeError, KeyError, TypeError) as err:
            raise DataFormatError(f"{file}: expected {{'nasbench101': {{'cifar10': {{key: record}}}}}} ({err!r})") from None
        space = NB101Space()
        dags, rows = [], []
        for i, (key, record) in enumerate(table.items(), start=1):
            try:
                matrix, ops = parse_sample_key(key)
                dags.append(space.to_dag((matrix, ops)))
                rows.append({("cifar10", Metric.VAL_ACCURACY, None): record["val_accuracy"],
                             ("cifar10", Metric.PARAMETERS, None): record.get("params", np.nan),
                             ("cifar10", Metric.FLOPS, None): record.get("flops", np.nan)})
            except (ValueError, KeyError, TypeError, InvalidArchitecture) as err:
                raise DataFormatError(f"{file}: record {i} ({key[:60]!r}) is malformed: {err}") from None
        keys = [("cifar10", m, None) for m in (Metric.VAL_ACCURACY, Metric.PARAMETERS, Metric.FLOPS)]
        return cls(dags, stack_columns(rows, keys), str(file))

    @classmethod
    def from_naslib_pickle(cls, path: str | os.PathLike) -> "NB101Benchmark":
        """Read NASLib's NB101 pickle (``nasbench_only108.pkl`` or a file of its format)."""
        with open(path, "rb") as f:
            data = pickle.load(f)
        if isinstance(data, dict) and "nb101_data" in data:
            data = data["nb101_data"]
        if not isinstance(data, dict):
            raise DataFormatError(f"{path}: expected {{md5: (fixed, computed)}}, got {type(data).__name__}")
        space = NB101Space()
        dags, rows, hashes = [], [], []
        for md5, entry in data.items():
            try:
                fixed, computed = entry
                dags.append(space.to_dag({"matrix": fixed["module_adjacency"], "ops": fixed["module_operations"]}))
                rows.append(_pickle_row(fixed, computed))
            except (ValueError, KeyError, TypeError, InvalidArchitecture) as err:
                raise DataFormatError(f"{path}: entry {md5!r} is malformed: {err!r}") from None
            hashes.append(str(md5))
        keys = sorted({k for r in rows for k in r}, key=str)
        return cls(dags, stack_columns(rows, keys), str(path), hashes=hashes)


def _pickle_row(fixed: dict[str, Any], computed: dict[int, list[dict[str, float]]]) -> dict[ColumnKey, float]:
    row: dict[ColumnKey, float] = {("cifar10", Metric.PARAMETERS, None): fixed["trainable_parameters"]}
    for epochs, repeats in computed.items():
        budget = None if int(epochs) == FULL_EPOCHS else int(epochs)
        mean = {name: float(np.mean([r[name] for r in repeats])) for name in repeats[0]}
        row[("cifar10", Metric.VAL_ACCURACY, budget)] = 100.0 * mean["final_validation_accuracy"]
        row[("cifar10", Metric.TEST_ACCURACY, budget)] = 100.0 * mean["final_test_accuracy"]
        row[("cifar10", Metric.TRAIN_TIME, budget)] = mean["final_training_time"]
    return row
