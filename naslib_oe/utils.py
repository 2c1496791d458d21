"""Small helpers shared across layers."""
from __future__ import annotations

from dataclasses import fields
from typing import Any, TypeVar

T = TypeVar("T")


def dataclass_from_dict(cls: type[T], values: dict[str, Any], what: str) -> T:
    """Build a settings dataclass, naming unknown keys instead of a bare ``TypeError``."""
    known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    unknown = set(values) - known
    if unknown:
        raise ValueError(f"unknown {what} {sorted(unknown)}; known: {sorted(known)}")
    return cls(**values)
