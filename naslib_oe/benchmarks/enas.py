"""The ENAS table: weight-sharing validation accuracy of 20,020 macro architectures.

The accuracy of each architecture comes from one trained ENAS supernet (D-VAE's
``final_structures6.txt``). It is a validation accuracy; there is no test accuracy.
:func:`dvae_split` reproduces D-VAE's train/test split of the table.
"""
from __future__ import annotations

import json
import os
import random
from dataclasses import dataclass

from naslib_oe.benchmarks.base import Metric, TabularBenchmark
from naslib_oe.benchmarks.data import DataFile, DataFormatError, locate, register_data_file
from naslib_oe.spaces import ArchDAG, EnasSpace, InvalidArchitecture

DATA_FILE = register_data_file(DataFile(
    "enas",
    "enas/final_structures6.txt",
    "fea9a7dde1545e7d3bd58fd4b9c3db08a89c18e0351f770cde2fe530c4791725",
    "ENAS 6-layer macro space, 20,020 architectures with weight-sharing accuracy (D-VAE)",
    "https://raw.githubusercontent.com/muhanzhang/D-VAE/master/data/final_structures6.txt",
))

#: D-VAE's protocol: lines skipped before the split, and the train share.
BURN_IN = 1000
TRAIN_FRACTION = 0.9


@dataclass
class EnasRecord:
    """One line of the ENAS file."""

    line: int
    dag: ArchDAG
    accuracy: float  # percent


def read_enas_file(path: str | os.PathLike, space: EnasSpace | None = None) -> list[EnasRecord]:
    """Parse every line of an ENAS file; a malformed line raises with its file and line."""
    space = space or EnasSpace()
    records = []
    with open(path, encoding="utf-8") as f:
        for lineno, raw in enumerate(f, start=1):
            text = raw.strip()
            if not text:
                continue
            try:
                native, acc = json.loads(f"[{text}]")
                if not isinstance(acc, (int, float)) or not 0.0 <= acc <= 1.0:
                    raise ValueError(f"accuracy {acc!r} is not a fraction in [0, 1]")
                dag = space.to_dag(native)
            except (ValueError, TypeError, InvalidArchitecture) as err:
                raise DataFormatError(
                    f"{path}:{lineno}: expected '[[op], [op, b0], ...], accuracy', got {text[:80]!r} ({err})"
                ) from None
            records.append(EnasRecord(lineno, dag, 100.0 * float(acc)))
    if not records:
        raise DataFormatError(f"{path}: no architectures in file")
    return records


class EnasBenchmark(TabularBenchmark):
    """Weight-sharing accuracy table of the ENAS macro space (dataset ``cifar10``).

    Only :attr:`Metric.VAL_ACCURACY` is available.
    """

    def __init__(self, records: list[EnasRecord], source: str):
        self.records = records
        super().__init__(
            EnasSpace(),
            [r.dag for r in records],
            {("cifar10", Metric.VAL_ACCURACY, None): [r.accuracy for r in records]},
            name="ENAS",
            source=source,
            default_dataset="cifar10",
        )

    @classmethod
    def load(cls, path: str | os.PathLike | None = None) -> "EnasBenchmark":
        """Read the ENAS table (see :func:`naslib_oe.benchmarks.data.locate` for ``path``)."""
        file = locate(DATA_FILE.key, path)
        return cls(read_enas_file(file), str(file))

    def training_split(self) -> tuple[list[ArchDAG], list[float]]:
        """D-VAE's training table (:meth:`dvae_split`, seed 0): 17,118 architectures with accuracies."""
        train, _ = self.dvae_split()
        return [r.dag for r in train], [r.accuracy for r in train]

    def dvae_split(self, burn_in: int = BURN_IN, seed: int = 0) -> tuple[list[EnasRecord], list[EnasRecord]]:
        """D-VAE's split: skip ``burn_in`` lines, shuffle with ``random.Random(seed)``, 90/10.

        All lines are kept (repeated architectures too), exactly as D-VAE does:
        17,118 train and 1,902 test records for the full file.
        """
        kept = list(self.records[burn_in:])
        random.Random(seed).shuffle(kept)
        n_train = int(len(kept) * TRAIN_FRACTION)
        return kept[:n_train], kept[n_train:]
