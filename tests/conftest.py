"""Shared fixtures. Benchmark data comes from $NASLIB_OE_DATA (CI: ../shared/data)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

_REPO = Path(__file__).resolve().parents[1]
if not os.environ.get("NASLIB_OE_DATA") and (_REPO.parent / "shared" / "data").is_dir():
    os.environ["NASLIB_OE_DATA"] = str(_REPO.parent / "shared" / "data")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    path = os.environ.get("NASLIB_OE_DATA")
    if not path or not Path(path).is_dir():
        pytest.fail("benchmark data not found: set NASLIB_OE_DATA to the shared data folder")
    return Path(path).resolve()


@pytest.fixture(scope="session")
def enas_bench():
    from naslib_oe.benchmarks import EnasBenchmark

    return EnasBenchmark.load()


@pytest.fixture(scope="session")
def nb201_bench():
    from naslib_oe.benchmarks import NB201Benchmark

    return NB201Benchmark.load()


@pytest.fixture(scope="session")
def nb101_bench():
    from naslib_oe.benchmarks import NB101Benchmark

    bench = NB101Benchmark.load_sample()
    assert bench.notes[0].startswith("NAS-Bench-101: 208 repeated architectures")  # said once, not warned
    return bench
