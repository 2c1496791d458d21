"""NASLib's own black-box optimizers inside our harness (``naslib-rs``, ``naslib-bananas``, ...).

:class:`NASLibWrapped` runs a NASLib optimizer on the NASLib view of the harness's problem (a
NASLib search space and a dataset API over the same table or surrogate) and logs each of its
queries through our evaluator, so its trajectory has the same fields, test accuracies and
surrogate flags as ours. NASLib's optimizers may query an architecture twice; that is their
behaviour, and it is logged as it happens.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

from naslib_oe.errors import ConfigError
from naslib_oe.naslib.convert import nb201_dag_from_op_indices
from naslib_oe.naslib.dataset_api import NB201TableData, evaluator_dataset_api
from naslib_oe.naslib.enas_space import EnasSearchSpace
from naslib_oe.naslib.runner import NOT_RECORDED, NASLibMissing, naslib_config, optimizer_factories, require_naslib
from naslib_oe.optimizers import OptimizerFamily, register_family
from naslib_oe.optimizers.base import BlackBoxOptimizer
from naslib_oe.problem import Problem, Query
from naslib_oe.spaces import ArchDAG

#: the architecture each NASLib optimizer queried last: what its own
#: ``train_statistics(report_incumbent=False)`` reports
LAST_QUERY: dict[str, Callable[[Any], Any]] = {
    "rs": lambda opt: opt.sampled_archs[-1].arch,
    "re": lambda opt: opt.population[-1].arch,
    "ls": lambda opt: opt.history[opt.newest_child_idx].arch,
    "bananas": lambda opt: opt.train_data[-1].arch,
    "npenas": lambda opt: opt.train_data[-1].arch,
}


def naslib_view(problem: Problem) -> tuple[Any, Any, Callable[[Any], ArchDAG]]:
    """A NASLib search space, its dataset API and ``native -> ArchDAG`` for our problem."""
    name, evaluator = problem.space.name, problem.evaluator
    if name == "enas":
        return EnasSearchSpace(), evaluator_dataset_api(evaluator, report_missing_as=NOT_RECORDED), lambda a: a.dag
    if name == "nasbench201" and hasattr(evaluator, "bench"):
        from naslib.search_spaces import NasBench201SearchSpace

        space = NasBench201SearchSpace()
        space.instantiate_model = False
        api = {"nb201_data": NB201TableData(evaluator.bench, report_missing_as=NOT_RECORDED)}
        return space, api, lambda a: nb201_dag_from_op_indices(a.get_op_indices(), problem.space)
    raise ConfigError(f"NASLib's optimizers run in the harness on enas and nasbench201 tables; {name} with "
                     f"{evaluator!r} needs NASLib's own data: use `naslib-oe naslib-run`")


class NASLibWrapped(BlackBoxOptimizer):
    """A NASLib optimizer (``rs``, ``re``, ``ls``, ``bananas``, ``npenas``) with our bookkeeping.

    Args:
        naslib_name: the NASLib optimizer.
        config: our config; its NASLib keys (``search.k``, ``search.predictor_type``, ...) are
            read as ``naslib-oe naslib-run`` reads them.
        seed: seeds NASLib's global random state when the problem is set.
    """

    def __init__(self, naslib_name: str, config: Mapping[str, Any], seed: int = 0):
        require_naslib()
        super().__init__(seed, dataset=config.get("dataset"))
        if naslib_name not in LAST_QUERY:
            raise KeyError(f"unknown NASLib optimizer {naslib_name!r}; expected one of {sorted(LAST_QUERY)}")
        self.name = f"naslib-{naslib_name}"
        self.last_query = LAST_QUERY[naslib_name]
        node = naslib_config({**config, "seed": seed, "optimizer": naslib_name})
        self.inner = optimizer_factories()[naslib_name](node)
        self.to_dag: Callable[[Any], ArchDAG] | None = None

    def on_problem(self) -> None:
        from naslib.utils import set_seed

        space, api, self.to_dag = naslib_view(self.problem)
        set_seed(self.seed)  # NASLib draws from the global generators
        self.inner.adapt_search_space(space, dataset_api=api)

    def new_epoch(self, epoch: int) -> None:
        if self.problem is None:
            raise RuntimeError(f"{self.name}: call adapt_search_space before new_epoch")
        self.inner.new_epoch(epoch)
        dag = self.to_dag(self.last_query(self.inner))
        self.history.append(Query(dag, self.problem.evaluator.query(dag)))


def _check_naslib() -> None:
    try:
        require_naslib()
    except NASLibMissing as err:
        raise ConfigError(f"naslib-* optimizers are NASLib's own: {err}") from None


register_family(OptimizerFamily("naslib-", tuple(LAST_QUERY), NASLibWrapped, _check_naslib, __name__))
