"""Run NASLib's own ``Trainer`` with ``oe_dvae`` registered beside its optimizers.

``python -m naslib_oe.naslib.runner --config configs/nb201.yaml [KEY VALUE ...]`` (also
``naslib-oe naslib-run``). Overrides are NASLib-style pairs (``seed 3 search.epochs 50``) or
``key=value``. The runner:

1. reads the config (ours and NASLib's keys in one file) and fills the NASLib keys it lacks
   with :data:`NASLIB_SEARCH_DEFAULTS`; ``search.epochs`` (the query budget) defaults to
   ``search.oe_dvae.bo.budget`` so that one file means one budget in both runners;
2. builds the search space (NASLib's NB201/NB101, or our :class:`EnasSearchSpace`) and its
   dataset API (``dataset_api: table`` from our files, or ``naslib`` for NASLib's own);
3. builds only the chosen optimizer (NASLib's rs, re, ls, bananas, npenas, or ``oe_dvae``);
4. runs ``Trainer.search()`` and ``Trainer.evaluate()``. NASLib writes ``errors.json`` and
   ``log.log`` to ``{out_dir}/{search_space}/{dataset}/{optimizer}/{seed}``; we add
   ``naslib_oe_summary.json`` with the final architecture and its accuracies.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any, Callable, Sequence

from naslib_oe import naslib_compat
from naslib_oe.benchmarks import DataError
from naslib_oe.config import ConfigError, RunConfig, parse_config
from naslib_oe.naslib.adapters import NOT_RECORDED, adapter

#: NASLib's own defaults (runners/nas/discrete_config.yaml) for the keys its optimizers read,
#: except ``fidelity``: rs queries ``epoch=fidelity``, and NASLib's 108 (NB101's budget) would
#: read NB201's learning curve at epoch 108 of 200; -1 is the final epoch everywhere
NASLIB_SEARCH_DEFAULTS: dict[str, Any] = {
    "checkpoint_freq": 1000, "fidelity": -1, "num_init": 10, "predictor_type": "var_sparse_gp",
    "k": 10, "num_ensemble": 3, "acq_fn_type": "its", "acq_fn_optimization": "mutation",
    "encoding_type": "adjacency_one_hot", "num_arches_to_mutate": 5, "max_mutations": 1,
    "num_candidates": 200, "sample_size": 10, "population_size": 30, "debug_predictor": False,
    "instantiate_model": False,  # tables need no networks; one setting for every optimizer compared
}
#: read by NASLib's Trainer only for spaces that train networks; required to be present
NASLIB_EVALUATION_DEFAULTS: dict[str, Any] = {"checkpoint_freq": 30, "epochs": 600}

MISSING_NASLIB = """NASLib is not importable here ({error}).
`naslib-oe naslib-run` drives NASLib's own Trainer, so it needs NASLib (automl/NASLib, branch
Develop; not on PyPI, and its setup.py refuses Python > 3.9). Put a checkout on PYTHONPATH and
install what it imports; docs/naslib.md lists the steps and the small fixes
Python 3.11 needs. Without NASLib, `naslib-oe search` and `naslib-oe compare` run oe_dvae and
the rs/re/ls baselines on the same benchmarks."""


class NASLibMissing(RuntimeError):
    """NASLib (or one of its imports) is not available."""


def require_naslib() -> None:
    """Import NASLib (with :mod:`naslib_oe.naslib_compat` applied first), or raise
    :class:`NASLibMissing` saying why it cannot be imported."""
    try:
        naslib_compat.apply()
        import naslib.defaults.trainer  # noqa: F401  (imports every optimizer and predictor)
    except Exception as err:  # ImportError, or a NASLib that breaks on this Python
        raise NASLibMissing(MISSING_NASLIB.format(error=f"{type(err).__name__}: {err}")) from None


def naslib_config(run: RunConfig, optimizer: str | None = None):
    """Our parsed config -> NASLib's yacs ``CfgNode`` (defaults filled, ``save`` set), for
    ``optimizer`` (default: the config's ``optimizer`` key)."""
    from yacs.config import CfgNode

    cfg, optimizer = run.raw, optimizer or run.raw["optimizer"]
    search = {**NASLIB_SEARCH_DEFAULTS, "epochs": run.settings.bo.budget, **run.search, "seed": run.seed}
    node = CfgNode({**cfg, "optimizer": optimizer, "seed": run.seed, "search": search,
                    "evaluation": {**NASLIB_EVALUATION_DEFAULTS, **(cfg.get("evaluation") or {})}},
                   new_allowed=True)
    node.save = f"{run.out_dir}/{run.space}/{run.dataset}/{optimizer}/{run.seed}"
    return node


def build_search_space(run: RunConfig) -> Any:
    """The config's search space as a NASLib search-space object."""
    space = adapter(run.space).search_space()
    space.instantiate_model = bool(run.search.get("instantiate_model", False))
    return space


def build_dataset_api(run: RunConfig, store: str | Path | None = None) -> Any:
    """``dataset_api: table`` (our files; the space's default, see its adapter) or ``naslib``
    (NASLib's ``get_dataset_api``).

    On ENAS it carries the problem of :func:`naslib_oe.problem.build_problem`: the configured
    evaluator (a surrogate is fit once and kept in ``store``) and the training-table prior.
    """
    name = run.space
    spec = adapter(name)
    source = run.raw.get("dataset_api") or spec.default_dataset_api
    if source == "naslib":
        if not spec.naslib_data:
            raise ConfigError(f"{name}: NASLib has no data for this space; use dataset_api: table")
        from naslib.utils import get_dataset_api

        return get_dataset_api(name, run.dataset)
    if source != "table":
        raise ConfigError(f"dataset_api must be 'table' or 'naslib', not {source!r}")
    if spec.table_api is None:
        raise ConfigError(f"{name}: {spec.no_table_reason}")
    return spec.table_api(run, store)


def optimizer_factories() -> dict[str, Callable[[Any, RunConfig], Any]]:
    """Optimizer name -> ``(NASLib config node, our parsed config) -> optimizer``; nothing is
    built until chosen. NASLib's read the node, ``oe_dvae`` the parsed config (no second parse)."""
    from naslib.optimizers import Bananas, LocalSearch, Npenas, RandomSearch, RegularizedEvolution

    from naslib_oe.optimizers import OEDVAE

    naslib = {"rs": RandomSearch, "re": RegularizedEvolution, "ls": LocalSearch, "bananas": Bananas, "npenas": Npenas}
    return {**{name: (lambda node, run, cls=cls: cls(node)) for name, cls in naslib.items()},
            "oe_dvae": lambda node, run: OEDVAE(run)}


def run(config: str | Path, overrides: Sequence[str] = ()) -> dict[str, Any]:
    """Search and evaluate as configured; returns (and writes) the run summary."""
    require_naslib()
    from naslib.defaults.trainer import Trainer
    from naslib.utils import log_args, set_seed, setup_logger

    run_config = parse_config(config, overrides)
    optimizer_name = run_config.raw["optimizer"]
    factories = optimizer_factories()
    if optimizer_name not in factories:
        raise ConfigError(f"{config}: optimizer {optimizer_name!r} is not one of {sorted(factories)}")
    node = naslib_config(run_config)
    for sub in ("search", "eval"):  # NASLib's checkpointer expects them (its get_config_from_args makes them)
        os.makedirs(os.path.join(node.save, sub), exist_ok=True)
    setup_logger(node.save + "/log.log").setLevel(logging.INFO)
    log_args(node)  # the config dump NASLib's own runners write first

    search_space, dataset_api = build_search_space(run_config), build_dataset_api(run_config, store=node.save)
    set_seed(run_config.seed)
    optimizer = factories[optimizer_name](node, run_config)
    optimizer.adapt_search_space(search_space, dataset_api=dataset_api)
    trainer = Trainer(optimizer, node, lightweight_output=True)
    trainer.search(resume_from="")
    test = trainer.evaluate(resume_from="", dataset_api=dataset_api)

    best = optimizer.get_final_architecture()
    trajectory = trainer.search_trajectory
    summary = {
        "config": str(config), "optimizer": optimizer_name, "search_space": run_config.space,
        "dataset": run_config.dataset, "seed": run_config.seed, "queries": len(trajectory.valid_acc),
        "final_val_acc": float(trajectory.valid_acc[-1]), "final_test_acc": float(test),
        "final_architecture": _describe(best), "errors_json": str(Path(node.save) / "errors.json"),
        "naslib": naslib_compat.provenance(),
    }
    summary.update(adapter(run_config.space).extras(run_config, best, dataset_api))
    (Path(node.save) / "naslib_oe_summary.json").write_text(json.dumps(summary, indent=2))
    print(_summary_text(summary))
    return summary


def _describe(arch: Any) -> str:
    if hasattr(arch, "get_op_indices"):
        return str(list(map(int, arch.get_op_indices())))
    if hasattr(arch, "get_spec"):
        spec = arch.get_spec()
        return json.dumps(spec, default=lambda a: a.tolist()) if isinstance(spec, dict) else str(spec)
    return str(arch.get_hash())


def _summary_text(s: dict[str, Any]) -> str:
    lines = [f"{s['optimizer']} on {s['search_space']}/{s['dataset']}, seed {s['seed']}, {s['queries']} queries",
             f"  final validation accuracy: {s['final_val_acc']:.2f}",
             f"  final test accuracy (NASLib's query): {s['final_test_acc']:.2f}"]
    if "table_test_acc" in s:
        lines.append(f"  final test accuracy (NB201 ori-test, from our table): {s['table_test_acc']:.2f}")
    if s.get("final_val_from_surrogate"):
        lines.append("  (the final validation accuracy is the surrogate's prediction: not in the ENAS table)")
    if s["final_test_acc"] == NOT_RECORDED:
        lines.append("  (-1 is NASLib's 'not recorded': this benchmark has no test accuracy)")
    lines.append(f"  NASLib's log: {s['errors_json']}")
    return "\n".join(lines)


def overrides_from_pairs(items: Sequence[str]) -> list[str]:
    """NASLib-style ``KEY VALUE`` pairs and our ``key=value`` items -> ``key=value`` overrides."""
    out, pending = [], None
    for item in items:
        if pending is not None:
            out.append(f"{pending}={item}")
            pending = None
        elif "=" in item:
            out.append(item)
        else:
            pending = item
    if pending is not None:
        raise ConfigError(f"override {pending!r} has no value (use KEY VALUE pairs or key=value)")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m naslib_oe.naslib.runner",
                                     description="NASLib's Trainer with oe_dvae registered beside its optimizers")
    parser.add_argument("--config", "--config-file", required=True, help="YAML config (see configs/)")
    parser.add_argument("opts", nargs=argparse.REMAINDER, help="overrides: KEY VALUE pairs or key=value")
    args = parser.parse_args(argv)
    try:
        run(args.config, overrides_from_pairs(args.opts))
    except (NASLibMissing, ConfigError, DataError, FileNotFoundError) as err:
        print(f"naslib-run: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
