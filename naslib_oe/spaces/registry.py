"""One descriptor per search space: the registry every layer reads.

A search space is its codec (this layer) and its benchmark table (the benchmarks layer,
which declares its own data files). The descriptor names both; the table's loader is given
as ``"module:attribute"`` and imported on first use, so this layer never imports the one
above it. The NASLib shell keys its adapters (``naslib_oe.naslib.adapters``) by the same
names and refuses names this registry does not know.

Adding a space: ``spaces/<name>.py`` (the codec), ``benchmarks/<name>.py`` (the table and its
``DataFile``), and one :func:`register_space` line at the bottom of this module.
"""
from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass, field
from typing import Any, Callable

from naslib_oe.spaces.base import SearchSpace


def _resolve(reference: str) -> Any:
    """``"package.module:Class.attribute"`` -> the object it names (imported now)."""
    module, _, attribute = reference.partition(":")
    target: Any = importlib.import_module(module)
    for part in attribute.split("."):
        target = getattr(target, part)
    return target


@dataclass(frozen=True)
class SpaceDescriptor:
    """A search space as every layer sees it.

    Attributes:
        name: the canonical name (``search_space:`` in configs; NASLib's ``get_type()``).
        codec: the codec class, as ``"module:Class"``.
        benchmark: the default table's loader ``(path | None) -> TabularBenchmark``, as
            ``"module:Class.method"``. Whether the table has a training split (the BO prior)
            is the table's own ``training_split()``.
        aliases: other names accepted for it (``nb201``).
    """

    name: str
    codec: str
    benchmark: str
    aliases: tuple[str, ...] = field(default=())

    @property
    def benchmark_loader(self) -> Callable[..., Any]:
        return _resolve(self.benchmark)


_SPACES: dict[str, SpaceDescriptor] = {}
_ALIASES: dict[str, str] = {}


def register_space(descriptor: SpaceDescriptor) -> SpaceDescriptor:
    """Add a search space; its name and aliases must be new."""
    taken = [n for n in (descriptor.name, *descriptor.aliases) if n in _SPACES or n in _ALIASES]
    if taken:
        raise ValueError(f"search-space names already registered: {taken}")
    _SPACES[descriptor.name] = descriptor
    _ALIASES.update({alias: descriptor.name for alias in descriptor.aliases})
    return descriptor


def known_spaces() -> list[str]:
    """Canonical names, then aliases."""
    return sorted(_SPACES) + sorted(_ALIASES)


def descriptor(name: str) -> SpaceDescriptor:
    """The descriptor of ``name`` or one of its aliases; ``KeyError`` naming the known ones."""
    key = _ALIASES.get(name.lower(), name.lower())
    if key not in _SPACES:
        raise KeyError(f"unknown search space {name!r}; expected one of {known_spaces()}")
    return _SPACES[key]


def descriptors() -> list[SpaceDescriptor]:
    return list(_SPACES.values())


@functools.cache
def _codec_class(name: str) -> type[SearchSpace]:
    return _resolve(_SPACES[name].codec)


def get_space(name: str) -> SearchSpace:
    """A new codec for the named search space."""
    return _codec_class(descriptor(name).name)()


register_space(SpaceDescriptor("enas", "naslib_oe.spaces.enas:EnasSpace", "naslib_oe.benchmarks.enas:EnasBenchmark.load",
                               aliases=("enas_macro",)))
register_space(SpaceDescriptor("nasbench201", "naslib_oe.spaces.nb201:NB201Space",
                               "naslib_oe.benchmarks.nb201:NB201Benchmark.load", aliases=("nb201",)))
register_space(SpaceDescriptor("nasbench101", "naslib_oe.spaces.nb101:NB101Space",
                               "naslib_oe.benchmarks.nb101:NB101Benchmark.load_sample", aliases=("nb101",)))
