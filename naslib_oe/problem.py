"""What a search runs on, built in one place for every entry point.

A :class:`Problem` is a search space's codec, the evaluator that answers queries and, where
the benchmark defines one, the prior: architectures with known values that the BO's GP may
see before its first query (D-VAE's ENAS training table). :func:`build_problem` makes it from
a benchmark and a few config values; ``naslib-oe search``, ``compare``, ``naslib-run``,
``examples/run_enas.py`` and hence the ``oe_dvae`` optimizer all get their problem from it, so
a config means the same search everywhere.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

from naslib_oe.benchmarks.base import TabularBenchmark
from naslib_oe.benchmarks.evaluators import EvalResult, Evaluator, make_evaluator
from naslib_oe.spaces import ArchDAG, SearchSpace


@dataclass
class Prior:
    """Known architectures and their values (D-VAE's training table)."""

    dags: Sequence[ArchDAG]
    values: Sequence[float]


@dataclass
class Problem:
    """What a search runs on: the space's codec, the evaluator that answers queries, and the prior.

    ``to_native`` turns a DAG back into the caller's own architecture object (a NASLib
    search-space graph); ``get_final_architecture`` returns that when it is set. ``prior`` is
    None where the benchmark has no training split or the config leaves it out; ``prior_note``
    says which, for run summaries. ``evaluator_quality`` is a surrogate's held-out quality.
    """

    space: SearchSpace
    evaluator: Evaluator
    to_native: Callable[[ArchDAG], Any] | None = None
    prior: Prior | None = None
    prior_note: str = "none"
    evaluator_quality: Any = None


@dataclass
class Query:
    """One spent query."""

    dag: ArchDAG
    result: EvalResult


def build_problem(bench: TabularBenchmark, evaluator: str = "table", dataset: str | None = None, seed: int = 0,
                  use_prior: bool = True, store: str | Path | None = None) -> Problem:
    """The problem a config describes.

    Args:
        bench: the benchmark; it says whether it has a training split (the prior).
        evaluator: ``table`` or ``surrogate`` (``search.oe_dvae.evaluator``).
        dataset: the benchmark's dataset (None: its default).
        seed: the config's seed; a surrogate is fit from it, never from a trial's seed.
        use_prior: ``search.oe_dvae.bo.use_prior``; False leaves the training split out on purpose.
        store: the run folder, where a surrogate is fit once and kept (see
            :func:`~naslib_oe.benchmarks.surrogate.stored_table_surrogate`).
    """
    answers, quality = make_evaluator(bench, evaluator, dataset, seed=seed, store=store)
    prior, note = problem_prior(bench, use_prior)
    return Problem(bench.space, answers, prior=prior, prior_note=note, evaluator_quality=quality)


def problem_prior(bench: TabularBenchmark, use_prior: bool = True) -> tuple[Prior | None, str]:
    """The prior of :func:`build_problem` and a one-line note saying what it is, or why there is none."""
    split = bench.training_split()
    if split is None:
        return None, f"none: {bench.name} has no training split"
    if not use_prior:
        return None, "none: left out by search.oe_dvae.bo.use_prior = false"
    return Prior(*split), f"the {bench.name} training split, {len(split[0])} architectures with values"


# --- objects of another library (NASLib's search spaces and architectures) ---------------------
#: the shell that adapts NASLib's objects. It sits above every layer, so none imports it: it
#: registers its converters with :func:`register_foreign` when imported, and is imported here by
#: name on first need, as the harness imports optimizer families in its workers
FOREIGN_SHELL = "naslib_oe.naslib"
_FOREIGN: dict[str, Callable] = {}


def register_foreign(problem_from: Callable[[Any, str, Any], Problem], dag_from: Callable[[Any], ArchDAG]) -> None:
    """Called by the NASLib shell: ``problem_from(search_space, dataset, dataset_api)`` and
    ``dag_from(architecture)`` for NASLib's objects."""
    _FOREIGN.update(problem=problem_from, dag=dag_from)


def _foreign(kind: str) -> Callable:
    if kind not in _FOREIGN:
        importlib.import_module(FOREIGN_SHELL)
    return _FOREIGN[kind]


def foreign_problem(search_space: Any, dataset: str, dataset_api: Any) -> Problem:
    """The :class:`Problem` of a NASLib search-space object queried on ``dataset``."""
    return _foreign("problem")(search_space, dataset, dataset_api)


def foreign_dag(architecture: Any) -> ArchDAG:
    """A NASLib architecture object as our DAG (an ArchDAG is returned as it is)."""
    return architecture if isinstance(architecture, ArchDAG) else _foreign("dag")(architecture)
