"""Optimizers with NASLib's ``MetaOptimizer`` contract: ``oe_dvae`` and simple baselines.

Use :func:`build_optimizer` to get one by name (``oe_dvae``, ``rs``, ``re``, ``ls``). With NASLib
installed, ``naslib-rs``, ``naslib-re``, ``naslib-ls``, ``naslib-bananas`` and ``naslib-npenas``
are NASLib's own optimizers behind the same contract (:mod:`naslib_oe.naslib.wrapped`).
"""
from __future__ import annotations

from typing import Any, Mapping

from naslib_oe.errors import ConfigError
from naslib_oe.optimizers.base import BlackBoxOptimizer, LocalMetaOptimizer, Problem, Query
from naslib_oe.optimizers.baselines import LocalSearch, RandomSearch, RegularizedEvolution
from naslib_oe.optimizers.oe_dvae import OEDVAE

OPTIMIZERS = {"oe_dvae": OEDVAE, "rs": RandomSearch, "re": RegularizedEvolution, "ls": LocalSearch}
NASLIB_PREFIX = "naslib-"
#: NASLib's black-box optimizers, known as ``naslib-<name>``
NASLIB_OPTIMIZERS = ("rs", "re", "ls", "bananas", "npenas")


def is_known(name: str) -> bool:
    """Ours, or ``naslib-<name>`` for one of NASLib's (whether NASLib is installed is checked on use)."""
    return name in OPTIMIZERS or name in {NASLIB_PREFIX + n for n in NASLIB_OPTIMIZERS}


def optimizer_names() -> list[str]:
    return sorted(OPTIMIZERS) + [NASLIB_PREFIX + n for n in NASLIB_OPTIMIZERS]


def build_optimizer(name: str, config: Mapping[str, Any] | None = None, seed: int = 0, **kwargs) -> BlackBoxOptimizer:
    """An optimizer by name. ``oe_dvae`` reads ``config`` (``seed`` is set into it); the
    baselines read NASLib's keys in ``config["search"]`` (``population_size``, ``sample_size``
    for ``re``; ``num_init`` for ``ls``), so that ours and NASLib's run with the same settings."""
    if not is_known(name):
        raise KeyError(f"unknown optimizer {name!r}; expected one of {optimizer_names()}")
    config = dict(config or {})
    if name.startswith(NASLIB_PREFIX):
        from naslib_oe.naslib.wrapped import NASLibWrapped  # the NASLib shell sits above us

        return NASLibWrapped(name[len(NASLIB_PREFIX):], config, seed)
    if name == "oe_dvae":
        return OEDVAE({**config, "seed": seed}, **kwargs)
    search = config.get("search") or {}
    if isinstance(search.get(name), Mapping):
        raise ConfigError(f"search.{name}: our {name} reads NASLib's keys directly under search "
                          f"({', '.join(OPTIMIZERS[name].NASLIB_KEYS) or 'none'}), not a search.{name} section")
    options = {key: search[key] for key in OPTIMIZERS[name].NASLIB_KEYS if key in search}
    return OPTIMIZERS[name](seed=seed, dataset=config.get("dataset"), **options, **kwargs)


__all__ = ["BlackBoxOptimizer", "LocalMetaOptimizer", "Problem", "Query", "RandomSearch", "RegularizedEvolution",
           "LocalSearch", "OEDVAE", "OPTIMIZERS", "NASLIB_OPTIMIZERS", "build_optimizer", "is_known",
           "optimizer_names"]
