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
from naslib_oe.spaces import descriptor


def load_benchmark(space: str, path: str | None = None) -> TabularBenchmark:
    """The default table of a search space (its descriptor's loader): the ENAS file, the NB201
    CSV or the NB101 JSON sample."""
    return descriptor(space).benchmark_loader(path)


__all__ = [
    "Metric", "TabularBenchmark", "ArchitectureNotInBenchmark", "MetricNotAvailable", "canonical_dataset",
    "DATA_FILES", "DataError", "DataFormatError", "DataIntegrityError", "DataNotFoundError", "locate",
    "EnasBenchmark", "NB201Benchmark", "NB101Benchmark", "load_benchmark",
]
