"""How each of our search spaces appears in NASLib: one :class:`SpaceAdapter` per space.

The runner, the harness's NASLib view, problem adaptation, NASLib's predictors and the
conversions of the NASLib shell look a space up here (:func:`adapter`) instead of branching on
its name, so giving NASLib a new space is one :func:`register_adapter` call beside its codec
and benchmark. Nothing here imports NASLib until an adapter builds a NASLib object.
"""
from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from naslib_oe.benchmarks import Metric, NB201Benchmark, load_benchmark
from naslib_oe.config import RunConfig
from naslib_oe.errors import ConfigError
from naslib_oe.naslib.convert import (
    nb101_dag_from_spec, nb101_spec_from_dag, nb201_dag_from_op_indices, nb201_op_indices_from_dag,
)
from naslib_oe.naslib.dataset_api import NB201TableData, evaluator_dataset_api, nb201_dataset_api
from naslib_oe.naslib.enas_space import EnasSearchSpace
from naslib_oe.problem import Problem, build_problem
from naslib_oe.spaces import ArchDAG, InvalidArchitecture, NB101Space, NB201Space, descriptor

#: NASLib's "not recorded" value, logged for the train accuracy/time our tables lack
NOT_RECORDED = -1.0

#: ``view(problem, queried)``: a NASLib search space and dataset API over the problem's evaluator
#: that append every architecture NASLib queries to ``queried``
View = Callable[[Problem, list], tuple[Any, Any]]


@dataclass(frozen=True)
class SpaceAdapter:
    """One search space as NASLib sees it.

    Attributes:
        name: our space name, which is also NASLib's ``search_space.get_type()``.
        search_space: a new NASLib search-space object that builds no networks.
        to_dag: a NASLib architecture of this space -> our DAG.
        native: a NASLib search-space object -> a function turning our DAGs into copies of it
            holding that architecture (what NASLib's ``query`` and predictors take).
        default_dataset_api: ``table`` (our files) or ``naslib`` (NASLib's ``get_dataset_api``).
        table_api: ``(run, store) -> dataset_api`` over our files; None where our files cannot
            stand in for NASLib's (``no_table_reason`` says why).
        naslib_data: whether NASLib's own ``get_dataset_api`` has data for the space.
        view: the harness's recording view (see :data:`View`); None: NASLib's own data only.
        whole_table: the table lists every architecture, so a pool search may use all of it.
        extras: ``(run, best, dataset_api) -> dict`` added to ``naslib-run``'s summary.
        problem: ``(search_space, dataset, dataset_api) -> Problem`` for a space whose NASLib
            object brings its own evaluator in the dataset API (our ENAS space); None: queries
            go through NASLib's ``arch.query`` (:mod:`naslib_oe.naslib.problem`).
    """

    name: str
    search_space: Callable[[], Any]
    to_dag: Callable[[Any], ArchDAG]
    native: Callable[[Any], Callable[[ArchDAG], Any]]
    default_dataset_api: str = "table"
    table_api: Callable[[RunConfig, str | Path | None], Any] | None = None
    no_table_reason: str = ""
    naslib_data: bool = True
    view: View | None = None
    whole_table: bool = False
    extras: Callable[[RunConfig, Any, Any], dict] = lambda run, best, api: {}
    problem: Callable[[Any, str, Any], Problem] | None = None


_ADAPTERS: dict[str, SpaceAdapter] = {}


def register_adapter(spec: SpaceAdapter) -> None:
    """Make a registered search space (:mod:`naslib_oe.spaces.registry`) available to the NASLib
    shell; replaces an adapter of the same name."""
    if descriptor(spec.name).name != spec.name:
        raise ValueError(f"register the adapter under the space's canonical name {descriptor(spec.name).name!r}, "
                         f"not {spec.name!r}")
    _ADAPTERS[spec.name] = spec


def known_spaces() -> list[str]:
    """The spaces the NASLib shell can adapt."""
    return sorted(_ADAPTERS)


def adapter(name: str) -> SpaceAdapter:
    """The adapter of a space, by our name or NASLib's ``get_type()``."""
    if name not in _ADAPTERS:
        raise ConfigError(f"the NASLib shell knows the spaces {sorted(_ADAPTERS)}, not {name!r}")
    return _ADAPTERS[name]


def adapter_of(arch: Any) -> SpaceAdapter:
    """The adapter of a NASLib architecture or search-space object."""
    kind = arch.get_type() if hasattr(arch, "get_type") else type(arch).__name__
    if kind not in _ADAPTERS:
        raise InvalidArchitecture(f"cannot convert a {kind!r} architecture: expected an ArchDAG or a NASLib "
                                  f"{' / '.join(sorted(_ADAPTERS))} architecture")
    return _ADAPTERS[kind]


def dag_from_naslib(arch: Any) -> ArchDAG:
    """A NASLib architecture object (of any registered space) -> our DAG."""
    return arch if isinstance(arch, ArchDAG) else adapter_of(arch).to_dag(arch)


def copies_of(search_space: Any, assign: Callable[[Any, ArchDAG], None]) -> Callable[[ArchDAG], Any]:
    """DAG -> a copy of ``search_space`` holding that architecture (set by ``assign``)."""
    def to_native(dag: ArchDAG) -> Any:
        # without networks a NASLib space only stores op indices / a spec, so a shallow copy
        # will do; clone() deep-copies the graph (0.15 s per NB201 architecture)
        arch = search_space.clone() if search_space.instantiate_model else copy.copy(search_space)
        assign(arch, dag)
        return arch
    return to_native


class RecordingTable(Mapping):
    """NASLib's ``nb201_data`` over our table, noting every architecture string it is asked for.

    NASLib's optimizers keep bounded histories (LocalSearch: 100 entries), so what an optimizer
    just queried cannot be read back from them; it is read here, at the query itself."""

    def __init__(self, table: NB201TableData, queried: list[ArchDAG]):
        self.table, self.queried = table, queried

    def __getitem__(self, arch_str: str):
        record = self.table[arch_str]
        self.queried.append(self.table.bench.space.to_dag(arch_str))
        return record

    def __iter__(self) -> Iterator[str]:
        return iter(self.table)

    def __len__(self) -> int:
        return len(self.table)


class RecordingEvaluator:
    """An evaluator that notes every architecture it answers (the ENAS view's queries)."""

    def __init__(self, evaluator: Any, queried: list[ArchDAG]):
        self.evaluator, self.queried = evaluator, queried
        self.space = evaluator.space

    def query(self, dag: ArchDAG):
        result = self.evaluator.query(dag)
        self.queried.append(dag)
        return result

    def __repr__(self) -> str:
        return repr(self.evaluator)


def _naslib_space(class_name: str) -> Callable[[], Any]:
    """A factory of ``naslib.search_spaces.<class_name>`` objects without networks.

    NASLib's NB201 constructor builds the whole macro graph with its operations' weights, and
    its optimizers ``clone()`` (deep-copy) the search space for every candidate: about 0.2 s
    each, over 95 % of a BANANAS trial here. Black-box search reads only the op indices or
    spec, so the graph is dropped (``instantiate_model = False`` keeps it from being rebuilt);
    sampling, mutation, hashing and table queries behave exactly as before.
    """
    def build() -> Any:
        import naslib.search_spaces

        space = getattr(naslib.search_spaces, class_name)()
        space.instantiate_model = False
        space.clear()  # networkx: the nodes and edges that hold the untrained operations
        return space
    return build


# --- NAS-Bench-201 ---------------------------------------------------------------------------
_nb201_space = _naslib_space("NasBench201SearchSpace")


def _nb201_view(problem: Problem, queried: list) -> tuple[Any, Any]:
    bench = getattr(problem.evaluator, "bench", None)
    if bench is None:
        raise ConfigError(f"NASLib's optimizers run in the harness on the nasbench201 table; {problem.evaluator!r} "
                          f"needs NASLib's own data: use `naslib-oe naslib-run`")
    table = NB201TableData(bench, report_missing_as=NOT_RECORDED)
    return _nb201_space(), {"nb201_data": RecordingTable(table, queried)}


def _nb201_extras(run: RunConfig, best: Any, dataset_api: Any) -> dict:
    """NASLib's TEST_ACCURACY is its validation value on NB201: add the table's ori-test accuracy."""
    table = dataset_api.get("nb201_data") if isinstance(dataset_api, dict) else None
    # our table adapter already holds the benchmark; NASLib's own data does not have our test column
    bench = table.bench if isinstance(table, NB201TableData) else NB201Benchmark.load(run.settings.data_path)
    dag = nb201_dag_from_op_indices(best.get_op_indices())
    return {"table_test_acc": bench.query(dag, Metric.TEST_ACCURACY, run.dataset)}


# --- NAS-Bench-101 ---------------------------------------------------------------------------
_nb101_space = _naslib_space("NasBench101SearchSpace")


# --- ENAS (our EnasSearchSpace plays NASLib's part) --------------------------------------------
def _enas_table_api(run: RunConfig, store: str | Path | None) -> Any:
    """Every optimizer sees the same values: ``search.oe_dvae.evaluator`` (table or surrogate),
    fit once and kept in ``store``, and the training-table prior for ``oe_dvae``."""
    settings = run.settings
    problem = build_problem(load_benchmark("enas", settings.data_path), settings.evaluator, run.dataset,
                            seed=run.seed, use_prior=settings.bo.use_prior, store=store)
    if problem.evaluator_quality is not None:
        print(problem.evaluator_quality)
    print(f"prior: {problem.prior_note}")
    return evaluator_dataset_api(problem.evaluator, report_missing_as=NOT_RECORDED, prior=problem.prior)


def _enas_view(problem: Problem, queried: list) -> tuple[Any, Any]:
    api = evaluator_dataset_api(RecordingEvaluator(problem.evaluator, queried), report_missing_as=NOT_RECORDED)
    return EnasSearchSpace(), api


def _enas_problem(search_space: Any, dataset: str, dataset_api: Any) -> Problem:
    """Our NASLib-style ENAS space carries our evaluator (and the prior) in its dataset API."""
    if not dataset_api or "evaluator" not in dataset_api:
        raise ConfigError("enas: pass dataset_api=evaluator_dataset_api(evaluator) to adapt_search_space")
    evaluator = dataset_api["evaluator"]
    return Problem(evaluator.space, evaluator, to_native=EnasSearchSpace, prior=dataset_api.get("prior"))


def _nb201_native(search_space: Any) -> Callable[[ArchDAG], Any]:
    codec = NB201Space()
    return copies_of(search_space, lambda arch, dag: arch.set_op_indices(nb201_op_indices_from_dag(dag, codec)))


def _nb101_native(search_space: Any) -> Callable[[ArchDAG], Any]:
    codec = NB101Space()
    return copies_of(search_space, lambda arch, dag: arch.set_spec(nb101_spec_from_dag(dag, codec)))


register_adapter(SpaceAdapter(
    "nasbench201", _nb201_space, lambda arch: nb201_dag_from_op_indices(arch.get_op_indices()), _nb201_native,
    table_api=lambda run, store: nb201_dataset_api(run.settings.data_path, report_missing_as=NOT_RECORDED),
    view=_nb201_view, whole_table=True, extras=_nb201_extras))
register_adapter(SpaceAdapter(
    "nasbench101", _nb101_space, lambda arch: nb101_dag_from_spec(arch.get_spec()), _nb101_native,
    default_dataset_api="naslib",
    no_table_reason="our NB101 file is a 500-architecture sample without test accuracy; NASLib's NB101 "
                    "search needs its nasbench_only108.pkl: set dataset_api: naslib"))
register_adapter(SpaceAdapter(
    "enas", EnasSearchSpace, lambda arch: arch.dag, lambda space: EnasSearchSpace,
    table_api=_enas_table_api, naslib_data=False, view=_enas_view, problem=_enas_problem,
    extras=lambda run, best, api: {"final_val_from_surrogate": api["evaluator"].query(best.dag).surrogate}))
