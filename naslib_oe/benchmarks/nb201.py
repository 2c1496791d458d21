"""NAS-Bench-201: all 15,625 cells on cifar10, cifar100 and ImageNet16-120.

Three readers fill the same table:

* :meth:`NB201Benchmark.load` reads our ``nb201_table.csv`` (val and test accuracy after
  200 epochs, and the 12-epoch low-fidelity pair). Its cifar10 *validation* column is
  NASLib's (the ``cifar10-valid`` split) and its cifar10 *test* column is the official
  ``cifar10`` ori-test accuracy averaged over seeds.
* :meth:`NB201Benchmark.from_naslib_pickle` reads NASLib's
  ``nb201_<dataset>_full_training.pickle``. Like NASLib, it answers both validation and
  test accuracy from ``eval_acc1es`` (on cifar10, the ``cifar10-valid`` split); the
  benchmark's :attr:`notes` says so.
* :meth:`NB201Benchmark.from_api_file` reads the official ``nas_201_api`` ``.pth`` file
  (package ``nas-bench-201``): validation from ``x-valid`` (``cifar10-valid`` for
  cifar10) and test from ``ori-test``/``x-test``, averaged over seeds.
"""
from __future__ import annotations

import csv
import os
import pickle
from pathlib import Path
from typing import Any, Mapping

import numpy as np
from tqdm.auto import tqdm

from naslib_oe.benchmarks.base import ColumnKey, Metric, TabularBenchmark, stack_columns
from naslib_oe.benchmarks.data import DataFile, DataFormatError, locate, register_data_file
from naslib_oe.spaces import InvalidArchitecture, NB201Space

DATA_FILE = register_data_file(DataFile(
    "nb201",
    "nb201/nb201_table.csv",
    "16e4cb1fd07f5084dbbcaab674f36f0b35570778cb825c4ba964620a90fb76bf",
    "NAS-Bench-201, all 15,625 cells: val/test accuracy on cifar10, cifar100, ImageNet16-120",
))

NB201_DATASETS = ("cifar10", "cifar100", "ImageNet16-120")
_CSV_PREFIX = {"cifar10": "cifar10", "cifar100": "cifar100", "ImageNet16-120": "imagenet16"}
#: Dataset keys of NASLib's pickles and of the official API.
_NATIVE_DATASET = {"cifar10": "cifar10-valid", "cifar100": "cifar100", "ImageNet16-120": "ImageNet16-120"}
LOW_FIDELITY_EPOCHS = 12


class NB201Benchmark(TabularBenchmark):
    """NAS-Bench-201 lookup table (default dataset ``cifar10``).

    Attributes:
        nb201_index: official NB201 index of each row (``-1`` where the source has none).
        notes: how this source defines its metrics.
    """

    def __init__(self, arch_strs: list[str], columns: Mapping[ColumnKey, list[float]], source: str,
                 nb201_index: list[int] | None = None, notes: str = ""):
        space = NB201Space()
        super().__init__(space, [space.to_dag(s) for s in arch_strs], columns, name="NAS-Bench-201", source=source, default_dataset="cifar10")
        self.nb201_index = np.asarray(nb201_index if nb201_index is not None else [-1] * len(self), dtype=np.int64)
        if notes:  # how this source defines its metrics, beside the base class's facts (merged repeats)
            self.notes.append(f"{self.name} ({Path(source).name}): {notes.rstrip('.')}")

    @classmethod
    def load(cls, path: str | os.PathLike | None = None) -> "NB201Benchmark":
        """Read ``nb201_table.csv`` (see :func:`~naslib_oe.benchmarks.data.locate` for ``path``)."""
        file = locate(DATA_FILE.key, path)
        keys = {}
        for ds, prefix in _CSV_PREFIX.items():
            keys[f"{prefix}_val_200ep"] = (ds, Metric.VAL_ACCURACY, None)
            keys[f"{prefix}_test_200ep"] = (ds, Metric.TEST_ACCURACY, None)
            keys[f"{prefix}_val_12ep"] = (ds, Metric.VAL_ACCURACY, LOW_FIDELITY_EPOCHS)
            keys[f"{prefix}_test_12ep"] = (ds, Metric.TEST_ACCURACY, LOW_FIDELITY_EPOCHS)
        arch_strs, indices, rows = [], [], []
        space = NB201Space()
        with open(file, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            missing = {"nb201_index", "arch_str", *keys} - set(reader.fieldnames or [])
            if missing:
                raise DataFormatError(f"{file}:1: header lacks columns {sorted(missing)}")
            for row in reader:
                try:
                    space.parse(row["arch_str"])
                    values = {key: float(row[col]) if row[col] not in ("", None) else np.nan
                              for col, key in keys.items()}
                    index = int(row["nb201_index"])
                except (ValueError, TypeError, InvalidArchitecture) as err:
                    raise DataFormatError(f"{file}:{reader.line_num}: malformed row ({err})") from None
                arch_strs.append(row["arch_str"])
                indices.append(index)
                rows.append(values)
        return cls(arch_strs, stack_columns(rows, list(keys.values())), str(file), indices,
                   notes="val: NASLib's VAL_ACCURACY (cifar10-valid split for cifar10); "
                         "test: official test accuracy averaged over seeds")

    @classmethod
    def from_naslib_pickle(cls, paths: Mapping[str, str | os.PathLike] | str | os.PathLike) -> "NB201Benchmark":
        """Read NASLib's ``nb201_<dataset>_full_training.pickle`` file(s).

        Args:
            paths: one pickle, or ``{dataset: path}`` for several. A single file serves every
                dataset key it contains.
        """
        if isinstance(paths, (str, os.PathLike)):
            paths = {"*": paths}
        merged: dict[str, dict[str, Any]] = {}
        for path in paths.values():
            with open(path, "rb") as f:
                data = pickle.load(f)
            if isinstance(data, dict) and "nb201_data" in data:  # get_dataset_api's wrapper
                data = data["nb201_data"]
            if not isinstance(data, dict):
                raise DataFormatError(f"{path}: expected {{arch_str: {{dataset: results}}}}, got {type(data).__name__}")
            for arch, per_ds in data.items():
                merged.setdefault(arch, {}).update(per_ds)
        rows = []
        keys: set[ColumnKey] = set()
        for arch, per_ds in merged.items():
            row: dict[ColumnKey, float] = {}
            for ds, native in _NATIVE_DATASET.items():
                if native not in per_ds:
                    continue
                res = per_ds[native]
                try:
                    accs = res["eval_acc1es"]
                    row[(ds, Metric.VAL_ACCURACY, None)] = accs[-1]
                    row[(ds, Metric.TEST_ACCURACY, None)] = accs[-1]  # NASLib's convention
                    if len(accs) >= LOW_FIDELITY_EPOCHS:
                        row[(ds, Metric.VAL_ACCURACY, LOW_FIDELITY_EPOCHS)] = accs[LOW_FIDELITY_EPOCHS - 1]
                    cost = res.get("cost_info", {})
                    for metric, name in ((Metric.TRAIN_TIME, "train_time"), (Metric.PARAMETERS, "params"),
                                         (Metric.FLOPS, "flops")):
                        if cost.get(name) is not None:
                            row[(ds, metric, None)] = cost[name]
                except (KeyError, TypeError, IndexError) as err:
                    raise DataFormatError(f"{list(paths.values())}: entry {arch!r}/{native} is malformed ({err!r})") from None
            keys.update(row)
            rows.append(row)
        source = ", ".join(str(p) for p in paths.values())
        return cls(list(merged), stack_columns(rows, sorted(keys, key=str)), source,
                   notes="NASLib pickle: val and test both from eval_acc1es, as NASLib answers them "
                         "(cifar10: the cifar10-valid split)")

    @classmethod
    def from_api_file(cls, path_or_dict: str | os.PathLike | dict, progress: bool = True) -> "NB201Benchmark":
        """Read the official NAS-Bench-201 ``.pth`` file with ``nas_201_api``."""
        try:
            from nas_201_api import NASBench201API
        except ImportError as err:
            raise ImportError("reading the NAS-Bench-201 .pth file needs `pip install nas-bench-201`") from err
        import torch

        source = "<dict>"
        if not isinstance(path_or_dict, dict):
            source = str(path_or_dict)
            if not Path(source).is_file():
                raise FileNotFoundError(f"no NAS-Bench-201 API file at {source}")
            # The file holds plain Python containers; torch>=2.6 refuses them under weights_only.
            path_or_dict = torch.load(source, map_location="cpu", weights_only=False)
        api = NASBench201API(path_or_dict, verbose=False)
        test_set = {"cifar10": ("cifar10", "test-accuracy"), "cifar100": ("cifar100", "test-accuracy"),
                    "ImageNet16-120": ("ImageNet16-120", "test-accuracy")}
        rows, arch_strs, indices = [], [], []
        for index in tqdm(api.evaluated_indexes, desc="reading NAS-Bench-201 API", disable=not progress):
            row: dict[ColumnKey, float] = {}
            for ds in NB201_DATASETS:
                for metric, (native, field) in ((Metric.VAL_ACCURACY, (_NATIVE_DATASET[ds], "valid-accuracy")),
                                                (Metric.TEST_ACCURACY, test_set[ds])):
                    for hp, epochs in (("200", None), ("12", LOW_FIDELITY_EPOCHS)):
                        try:
                            info = api.get_more_info(index, native, hp=hp, is_random=False)
                        except (KeyError, ValueError):
                            continue  # this dataset/budget was not run for this cell
                        if info.get(field) is not None:
                            row[(ds, metric, epochs)] = info[field]
            arch_strs.append(api.meta_archs[index])
            indices.append(index)
            rows.append(row)
        keys = sorted({k for r in rows for k in r}, key=str)
        return cls(arch_strs, stack_columns(rows, keys), source, indices,
                   notes="nas_201_api: val from x-valid (cifar10-valid for cifar10), test from "
                         "ori-test (cifar10) / x-test, averaged over seeds")
