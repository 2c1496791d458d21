"""NASLib's own black-box optimizers inside our harness (``naslib-rs``, ``naslib-bananas``, ...).

:class:`NASLibWrapped` runs a NASLib optimizer on the NASLib view of the harness's problem (a
NASLib search space and a dataset API over the same table or surrogate) and logs each of its
queries through our evaluator, so its trajectory has the same fields, test accuracies and
surrogate flags as ours. The architecture logged is the one NASLib's query asked the dataset
API for, read at the query itself, never from the optimizer's (bounded) history. NASLib's
optimizers may query an architecture twice; that is their behaviour, and it is logged as it
happens.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from naslib_oe.errors import ConfigError
from naslib_oe.naslib.dataset_api import NB201TableData, evaluator_dataset_api
from naslib_oe.naslib.enas_space import EnasSearchSpace
from naslib_oe.naslib.predictor_types import OE_PREDICTOR_TYPES
from naslib_oe.naslib.runner import NOT_RECORDED, NASLibMissing, naslib_config, optimizer_factories, require_naslib
from naslib_oe.optimizers import OptimizerFamily, register_family
from naslib_oe.optimizers.base import BlackBoxOptimizer
from naslib_oe.problem import Problem, Query
from naslib_oe.spaces import ArchDAG

#: NASLib's black-box optimizers this family wraps; each queries one architecture per epoch
NASLIB_OPTIMIZERS = ("rs", "re", "ls", "bananas", "npenas")
#: those with a predictor ensemble: ``naslib-bananas:xgb`` sets ``search.predictor_type`` to xgb
PREDICTOR_OPTIMIZERS = ("bananas", "npenas")


class _RecordingTable(Mapping):
    """NASLib's ``nb201_data`` over our table, noting every architecture string it is asked for.

    NASLib's optimizers keep bounded histories (LocalSearch: 100 entries), so what an optimizer
    just queried cannot be read back from them; it is read here, at the query itself."""

    def __init__(self, table: NB201TableData, space: Any, queried: list[ArchDAG]):
        self.table, self.space, self.queried = table, space, queried

    def __getitem__(self, arch_str: str):
        record = self.table[arch_str]
        self.queried.append(self.space.to_dag(arch_str))
        return record

    def __iter__(self):
        return iter(self.table)

    def __len__(self) -> int:
        return len(self.table)


class _RecordingEvaluator:
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


def naslib_view(problem: Problem, queried: list[ArchDAG]) -> tuple[Any, Any]:
    """A NASLib search space and its dataset API for our problem; every architecture NASLib
    queries through them is appended to ``queried``."""
    name, evaluator = problem.space.name, problem.evaluator
    if name == "enas":
        api = evaluator_dataset_api(_RecordingEvaluator(evaluator, queried), report_missing_as=NOT_RECORDED)
        return EnasSearchSpace(), api
    if name == "nasbench201" and hasattr(evaluator, "bench"):
        from naslib.search_spaces import NasBench201SearchSpace

        space = NasBench201SearchSpace()
        space.instantiate_model = False
        table = NB201TableData(evaluator.bench, report_missing_as=NOT_RECORDED)
        return space, {"nb201_data": _RecordingTable(table, problem.space, queried)}
    raise ConfigError(f"NASLib's optimizers run in the harness on enas and nasbench201 tables; {name} with "
                     f"{evaluator!r} needs NASLib's own data: use `naslib-oe naslib-run`")


class NASLibWrapped(BlackBoxOptimizer):
    """A NASLib optimizer (``rs``, ``re``, ``ls``, ``bananas``, ``npenas``) with our bookkeeping.

    Args:
        naslib_name: the NASLib optimizer; ``bananas:<predictor_type>`` (likewise npenas) sets
            ``search.predictor_type``, so one comparison can hold several predictors.
        config: our config; its NASLib keys (``search.k``, ``search.predictor_type``, ...) are
            read as ``naslib-oe naslib-run`` reads them.
        seed: seeds NASLib's global random state when the problem is set.
    """

    def __init__(self, naslib_name: str, config: Mapping[str, Any], seed: int = 0):
        require_naslib()
        super().__init__(seed, dataset=config.get("dataset"))
        base, _, predictor_type = naslib_name.partition(":")
        if base not in NASLIB_OPTIMIZERS:
            raise KeyError(f"unknown NASLib optimizer {base!r}; expected one of {list(NASLIB_OPTIMIZERS)}")
        self.name = f"naslib-{naslib_name}"
        if predictor_type:
            _check_predictor_type(base, predictor_type)
            config = {**config, "search": {**(config.get("search") or {}), "predictor_type": predictor_type}}
        node = naslib_config({**config, "seed": seed, "optimizer": base})
        self.inner = optimizer_factories()[base](node)
        self.queried: list[ArchDAG] = []

    def on_problem(self) -> None:
        from naslib.utils import set_seed

        space, api = naslib_view(self.problem, self.queried)
        set_seed(self.seed)  # NASLib draws from the global generators
        self.inner.adapt_search_space(space, dataset_api=api)

    def new_epoch(self, epoch: int) -> None:
        if self.problem is None:
            raise RuntimeError(f"{self.name}: call adapt_search_space before new_epoch")
        self.queried.clear()
        self.inner.new_epoch(epoch)
        if len(self.queried) != 1:  # every NASLib black-box optimizer queries once per epoch
            raise RuntimeError(f"{self.name}: epoch {epoch} made {len(self.queried)} queries, expected 1")
        dag = self.queried[0]
        self.history.append(Query(dag, self.problem.evaluator.query(dag)))


def _check_predictor_type(optimizer: str, predictor_type: str) -> None:
    """Raise a :class:`ConfigError` unless ``naslib-<optimizer>:<predictor_type>`` can be built."""
    from naslib.predictors.ensemble import Ensemble

    if optimizer not in PREDICTOR_OPTIMIZERS:
        raise ConfigError(f"naslib-{optimizer} has no predictor; only {list(PREDICTOR_OPTIMIZERS)} take "
                          f"':<predictor_type>'")
    if predictor_type in OE_PREDICTOR_TYPES:
        return
    try:  # building NASLib's members checks the name before any query is spent
        Ensemble(predictor_type=predictor_type, num_ensemble=1).get_ensemble()
    except KeyError:
        raise ConfigError(f"naslib-{optimizer}:{predictor_type}: NASLib's Ensemble has no predictor_type "
                          f"{predictor_type!r} (ours: {sorted(OE_PREDICTOR_TYPES)})") from None


def _check_naslib(member: str) -> None:
    try:
        require_naslib()
    except NASLibMissing as err:
        raise ConfigError(f"naslib-* optimizers are NASLib's own: {err}") from None
    base, _, predictor_type = member.partition(":")
    if predictor_type:
        _check_predictor_type(base, predictor_type)


register_family(OptimizerFamily("naslib-", NASLIB_OPTIMIZERS, NASLibWrapped, _check_naslib, __name__,
                                variants=PREDICTOR_OPTIMIZERS))
