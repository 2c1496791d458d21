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

from naslib_oe.config import RunConfig
from naslib_oe.errors import ConfigError
from naslib_oe.naslib.adapters import adapter, known_spaces
from naslib_oe.naslib.predictor_types import OE_PREDICTOR_TYPES
from naslib_oe.naslib.runner import NASLibMissing, naslib_config, optimizer_factories, require_naslib
from naslib_oe.optimizers import OptimizerFamily, register_family
from naslib_oe.optimizers.base import BlackBoxOptimizer
from naslib_oe.problem import Query
from naslib_oe.spaces import ArchDAG

#: NASLib's black-box optimizers this family wraps; each queries one architecture per epoch
NASLIB_OPTIMIZERS = ("rs", "re", "ls", "bananas", "npenas")
#: those with a predictor ensemble: ``naslib-bananas:xgb`` sets ``search.predictor_type`` to xgb
PREDICTOR_OPTIMIZERS = ("bananas", "npenas")


class NASLibWrapped(BlackBoxOptimizer):
    """A NASLib optimizer (``rs``, ``re``, ``ls``, ``bananas``, ``npenas``) with our bookkeeping.

    Args:
        naslib_name: the NASLib optimizer; ``bananas:<predictor_type>`` (likewise npenas) sets
            ``search.predictor_type``, so one comparison can hold several predictors.
        config: our parsed config (or a config dict, parsed here); its NASLib keys (``search.k``,
            ``search.predictor_type``, ...) are read as ``naslib-oe naslib-run`` reads them.
        seed: seeds NASLib's global random state when the problem is set.
    """

    def __init__(self, naslib_name: str, config: RunConfig | Mapping[str, Any], seed: int = 0):
        require_naslib()
        run = config if isinstance(config, RunConfig) else RunConfig.parse(dict(config), source="naslib config")
        super().__init__(seed, dataset=run.dataset)
        base, _, predictor_type = naslib_name.partition(":")
        if base not in NASLIB_OPTIMIZERS:
            raise KeyError(f"unknown NASLib optimizer {base!r}; expected one of {list(NASLIB_OPTIMIZERS)}")
        self.name = f"naslib-{naslib_name}"
        if predictor_type:
            _check_predictor_type(base, predictor_type)
            run = RunConfig.parse({**run.raw, "search": {**run.search, "predictor_type": predictor_type}},
                                  source=self.name)
        run = run.with_seed(seed)
        self.inner = optimizer_factories()[base](naslib_config(run, optimizer=base), run)
        self.queried: list[ArchDAG] = []

    def on_problem(self) -> None:
        from naslib.utils import set_seed

        spec = adapter(self.problem.space.name)
        if spec.view is None:
            raise ConfigError(f"NASLib's optimizers run in the harness on {self._tables()} tables; "
                              f"{spec.name} needs NASLib's own data: use `naslib-oe naslib-run`")
        space, api = spec.view(self.problem, self.queried)  # every query NASLib makes lands in self.queried
        set_seed(self.seed)  # NASLib draws from the global generators
        self.inner.adapt_search_space(space, dataset_api=api)

    @staticmethod
    def _tables() -> str:
        return " and ".join(name for name in known_spaces() if adapter(name).view is not None)

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
