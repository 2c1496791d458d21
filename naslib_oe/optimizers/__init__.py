"""Optimizers with NASLib's ``MetaOptimizer`` contract: ``oe_dvae`` and simple baselines.

Use :func:`build_optimizer` to get one by name (``oe_dvae``, ``rs``, ``re``, ``ls``).
"""
from __future__ import annotations

from typing import Any, Mapping

from naslib_oe.optimizers.base import BlackBoxOptimizer, LocalMetaOptimizer, Problem, Query
from naslib_oe.optimizers.baselines import LocalSearch, RandomSearch, RegularizedEvolution
from naslib_oe.optimizers.oe_dvae import OEDVAE

OPTIMIZERS = {"oe_dvae": OEDVAE, "rs": RandomSearch, "re": RegularizedEvolution, "ls": LocalSearch}


def build_optimizer(name: str, config: Mapping[str, Any] | None = None, seed: int = 0, **kwargs) -> BlackBoxOptimizer:
    """An optimizer by name. ``oe_dvae`` reads ``config`` (``seed`` is set into it); the
    baselines read their settings from ``config["search"][name]`` when present."""
    if name not in OPTIMIZERS:
        raise KeyError(f"unknown optimizer {name!r}; expected one of {sorted(OPTIMIZERS)}")
    config = dict(config or {})
    if name == "oe_dvae":
        return OEDVAE({**config, "seed": seed}, **kwargs)
    options = dict((config.get("search") or {}).get(name) or {})
    return OPTIMIZERS[name](seed=seed, **options, **kwargs)


__all__ = ["BlackBoxOptimizer", "LocalMetaOptimizer", "Problem", "Query", "RandomSearch", "RegularizedEvolution",
           "LocalSearch", "OEDVAE", "OPTIMIZERS", "build_optimizer"]
