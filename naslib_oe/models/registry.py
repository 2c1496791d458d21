"""Encoders by name, so that a new encoder (GIN, DAGNN, ...) is one new file.

An encoder is an ``nn.Module`` built as ``cls(input_dim, hidden, max_nodes, **options)``
whose ``forward(x [B, N, d], batch: DAGBatch)`` returns the graph state ``[B, hidden]``.
"""
from __future__ import annotations

from typing import Callable

from torch import nn

from naslib_oe.errors import ConfigError

ENCODERS: dict[str, type[nn.Module]] = {}


def register_encoder(name: str) -> Callable[[type[nn.Module]], type[nn.Module]]:
    def add(cls: type[nn.Module]) -> type[nn.Module]:
        ENCODERS[name] = cls
        return cls
    return add


def build_encoder(name: str, **kwargs) -> nn.Module:
    if name not in ENCODERS:
        raise ConfigError(f"unknown encoder {name!r}; available: {sorted(ENCODERS)}")
    return ENCODERS[name](**kwargs)
