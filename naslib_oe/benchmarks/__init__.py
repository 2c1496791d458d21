"""Benchmarks: where the data lives and tabular evaluators that answer queries.

Use :func:`load_benchmark` to get the table of a search space by name.
"""
from naslib_oe.benchmarks.base import (
    ArchitectureNotInBenchmark, Metric, MetricNotAvailable, TabularBenchmark, canonical_dataset,
)
from naslib_oe.benchmarks.data import (
    DATA_FILES, DataError, DataFormatError, DataIntegrityError, DataNotFoundError, locate,
)
from naslib_oe.benchmarks.enas import EnasBenchmark
from naslib_oe.benchmarks.nb101 import NB101Benchmark
from naslib_oe.benchmarks.nb201 import NB201Benchmark
from naslib_oe.spaces import descriptor, descriptors


def load_benchmark(space: str, path: str | None = None) -> TabularBenchmark:
    """The default table of a search space (its descriptor's loader): the ENAS file, the NB201
    CSV or the NB101 JSON sample."""
    return descriptor(space).benchmark_loader(path)


def data_notes() -> list[str]:
    """The facts each space's default table states about its data (:attr:`TabularBenchmark.notes`,
    such as merged repeats), for the tables that are found; ``naslib-oe data`` prints them."""
    notes = []
    for space in descriptors():
        try:
            notes += load_benchmark(space.name).notes
        except DataError:  # a missing file is reported by the file listing already
            continue
    return notes


__all__ = [
    "Metric", "TabularBenchmark", "ArchitectureNotInBenchmark", "MetricNotAvailable", "canonical_dataset",
    "DATA_FILES", "DataError", "DataFormatError", "DataIntegrityError", "DataNotFoundError", "locate",
    "EnasBenchmark", "NB201Benchmark", "NB101Benchmark", "data_notes", "load_benchmark",
]
