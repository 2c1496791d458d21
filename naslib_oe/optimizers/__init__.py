"""Optimizers with NASLib's ``MetaOptimizer`` contract: ``oe_dvae`` and simple baselines.

Use :func:`build_optimizer` to get one by name (``oe_dvae``, ``rs``, ``re``, ``ls``). Layers
above this one add families of optimizers with :func:`register_family`: importing
:mod:`naslib_oe.naslib` registers ``naslib-rs``, ``naslib-re``, ``naslib-ls``,
``naslib-bananas`` and ``naslib-npenas``, NASLib's own optimizers behind the same contract.
A family may let some members take a variant after a colon (``naslib-bananas:oe``), so that
one comparison can hold several settings of one optimizer. ``oe_dvae`` takes the refit of
its input map the same way: ``oe_dvae:none``, ``oe_dvae:embedding``, ``oe_dvae:embedding+head``
set ``bo.finetune.params`` (see :mod:`naslib_oe.bo.finetune`) for that optimizer only.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable, Mapping

from naslib_oe.bo.finetune import FINETUNE_PARAMS
from naslib_oe.config import RunConfig
from naslib_oe.errors import ConfigError
from naslib_oe.optimizers.base import BlackBoxOptimizer, LocalMetaOptimizer, Problem, Query
from naslib_oe.optimizers.baselines import LocalSearch, RandomSearch, RegularizedEvolution
from naslib_oe.optimizers.oe_dvae import OEDVAE

OPTIMIZERS = {"oe_dvae": OEDVAE, "rs": RandomSearch, "re": RegularizedEvolution, "ls": LocalSearch}


@dataclass(frozen=True)
class OptimizerFamily:
    """Optimizers named ``<prefix><name>`` that a layer above this one provides."""

    prefix: str
    names: tuple[str, ...]
    build: Callable[[str, RunConfig, int], BlackBoxOptimizer]  # (name, parsed config, seed)
    check: Callable[[str], None]  # (member, prefix removed) raises a ConfigError saying why it cannot run here
    module: str                # importing it registers the family (done in worker processes)
    variants: tuple[str, ...] = ()  # members that accept ``<prefix><name>:<variant>``


#: registered families, by prefix
FAMILIES: dict[str, OptimizerFamily] = {}


def register_family(family: OptimizerFamily) -> None:
    FAMILIES[family.prefix] = family


def family_of(name: str) -> OptimizerFamily | None:
    """The registered family ``name`` belongs to, if any."""
    for family in FAMILIES.values():
        if not name.startswith(family.prefix):
            continue
        member, colon, variant = name[len(family.prefix):].partition(":")
        if (member in family.names and not colon) or (member in family.variants and variant):
            return family
    return None


def oe_dvae_variant(name: str) -> str | None:
    """The ``bo.finetune.params`` of ``oe_dvae:<params>``, None for any other name."""
    base, colon, variant = name.partition(":")
    return variant if base == "oe_dvae" and colon and variant in FINETUNE_PARAMS else None


def is_oe_dvae(name: str) -> bool:
    """``oe_dvae`` or one of its ``oe_dvae:<finetune>`` variants (they need its VAE)."""
    return name == "oe_dvae" or oe_dvae_variant(name) is not None


def is_known(name: str) -> bool:
    """Ours, or a member of a registered family (whether it can run here is :func:`check_available`'s job)."""
    return name in OPTIMIZERS or oe_dvae_variant(name) is not None or family_of(name) is not None


def optimizer_names() -> list[str]:
    """Every name :func:`build_optimizer` takes; ``:<variant>`` marks the members that take one."""
    return sorted(OPTIMIZERS) + [f"oe_dvae:{p}" for p in FINETUNE_PARAMS] + [f.prefix + n for f in FAMILIES.values() for n in f.names] + \
        [f"{f.prefix}{n}:<variant>" for f in FAMILIES.values() for n in f.variants]


def check_available(names: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Raise a :class:`ConfigError` for an unknown name or a family that cannot run here; return
    the modules that register the families used (to import in worker processes)."""
    unknown = [n for n in names if not is_known(n)]
    if unknown:
        hint = "" if "naslib-" in FAMILIES else " (NASLib's naslib-* optimizers register when naslib_oe.naslib is imported)"
        raise ConfigError(f"unknown optimizers {unknown}; expected some of {optimizer_names()}{hint}")
    modules = set()
    for name in names:
        if (family := family_of(name)) is not None:
            family.check(name[len(family.prefix):])
            modules.add(family.module)
    return tuple(sorted(modules))


def build_optimizer(name: str, config: RunConfig | Mapping[str, Any] | None = None, seed: int = 0,
                    **kwargs) -> BlackBoxOptimizer:
    """An optimizer by name, for the trial of ``seed``. ``config`` is a parsed
    :class:`~naslib_oe.config.RunConfig` (the harness) or a config dict (parsed here). ``oe_dvae``
    reads its settings; the baselines read NASLib's keys in ``search`` (``population_size``,
    ``sample_size`` for ``re``; ``num_init`` for ``ls``), so that ours and NASLib's run with the
    same settings."""
    if not is_known(name):
        raise KeyError(f"unknown optimizer {name!r}; expected one of {optimizer_names()}")
    run = config if isinstance(config, RunConfig) else RunConfig.parse(config or {})
    family = family_of(name)
    if family is not None:
        return family.build(name[len(family.prefix):], run, seed)
    if name == "oe_dvae":
        return OEDVAE(run.with_seed(seed), **kwargs)
    if (params := oe_dvae_variant(name)) is not None:
        bo = replace(run.settings.bo, finetune=replace(run.settings.bo.finetune, params=params))
        return OEDVAE(replace(run.with_seed(seed), settings=replace(run.settings, bo=bo)), **kwargs)
    search = run.search
    if isinstance(search.get(name), Mapping):
        raise ConfigError(f"search.{name}: our {name} reads NASLib's keys directly under search "
                          f"({', '.join(OPTIMIZERS[name].NASLIB_KEYS) or 'none'}), not a search.{name} section")
    options = {key: search[key] for key in OPTIMIZERS[name].NASLIB_KEYS if key in search}
    return OPTIMIZERS[name](seed=seed, dataset=run.dataset, **options, **kwargs)


__all__ = ["BlackBoxOptimizer", "LocalMetaOptimizer", "Problem", "Query", "RandomSearch", "RegularizedEvolution",
           "LocalSearch", "OEDVAE", "OPTIMIZERS", "OptimizerFamily", "build_optimizer", "check_available", "family_of",
           "is_known", "is_oe_dvae", "oe_dvae_variant", "optimizer_names", "register_family"]
