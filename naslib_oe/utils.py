"""Small helpers shared across layers."""
from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
import types
import typing
from dataclasses import fields
from pathlib import Path
import warnings
from typing import Any, TypeVar

from naslib_oe.errors import ConfigError, RunFolderError

T = TypeVar("T")


def coerce(value: Any, annotation: Any, key: str) -> Any:
    """``value`` as the field's declared scalar type, or a ``ValueError`` naming ``key``.

    YAML 1.1 reads ``1e-3`` as a string, so numeric strings are accepted for float fields;
    an int field takes only whole numbers (``1.5`` and ``"abc"`` are refused).
    """
    union = typing.get_origin(annotation) in (typing.Union, types.UnionType)
    options = typing.get_args(annotation) if union else (annotation,)
    if value is None and type(None) in options:
        return None
    if float in options:
        if isinstance(value, bool):
            raise ConfigError(f"{key} must be a number, got {value!r}")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{key} must be a number, got {value!r}") from None
        if not math.isfinite(number):  # .inf or .nan would train (or search) into NaN weights
            raise ConfigError(f"{key} must be a finite number, got {value!r}")
        return number
    if int in options:
        if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, float) and value.is_integer())):
            raise ConfigError(f"{key} must be a whole number, got {value!r}")
        return int(value)
    if bool in options and not isinstance(value, bool):
        raise ConfigError(f"{key} must be true or false, got {value!r}")
    if str in options and not isinstance(value, str):
        raise ConfigError(f"{key} must be a string, got {value!r}")
    return value


def dataclass_from_dict(cls: type[T], values: dict[str, Any], what: str) -> T:
    """Build a settings dataclass from config values: unknown keys named, scalars typed.

    Raises ``ValueError`` naming the key for an unknown key or a value of the wrong type;
    the dataclass's own ``__post_init__`` then checks ranges.
    """
    known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    unknown = set(values) - known
    if unknown:
        raise ConfigError(f"unknown {what} {sorted(unknown)}; known: {sorted(known)}")
    hints = typing.get_type_hints(cls)
    return cls(**{k: coerce(v, hints[k], k) for k, v in values.items()})


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def writable_dir(path: str | Path) -> Path:
    """``path`` as a folder this process can write into, created if needed, checked before any
    work; :class:`~naslib_oe.errors.RunFolderError` names the folder otherwise."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise RunFolderError(f"the output folder {path} is a file; pass a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise RunFolderError(f"cannot create the output folder {path}: {err.strerror or err}") from None
    try:  # a real write: permission bits say nothing to root, nor about a read-only mount
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as err:
        raise RunFolderError(f"the output folder {path} is not writable ({err.strerror or err}); "
                             f"pass another --out") from None
    return path


def writable_file(path: str | Path) -> Path:
    """``path`` as a file this process can (over)write, its folder created if needed, checked
    before the work whose result goes there; :class:`~naslib_oe.errors.RunFolderError` otherwise."""
    path = Path(path)
    if path.is_dir():
        raise RunFolderError(f"{path} is a folder; give a file path")
    writable_dir(path.parent)
    if path.exists() and not os.access(path, os.W_OK):
        raise RunFolderError(f"{path} exists and is not writable; pass another --out")
    return path


def read_jsonl(path: Path, repair: bool = False) -> list[dict[str, Any]]:
    """The complete lines of an append-only JSON-lines log. A final line cut short by a killed
    process is dropped (with a warning), and with ``repair`` removed from the file so that
    appending can continue; a bad line anywhere else is a :class:`RunFolderError`."""
    lines = Path(path).read_text(encoding="utf-8").splitlines(keepends=True)
    rows = []
    for i, line in enumerate(lines):
        try:
            if not line.endswith("\n"):
                raise ValueError("unterminated line")
            rows.append(json.loads(line))
        except ValueError as err:
            if i != len(lines) - 1:
                raise RunFolderError(f"{path}:{i + 1}: corrupt log line ({err}); only a last line "
                                     f"cut short by a crash is dropped") from None
            warnings.warn(f"{path}:{i + 1}: dropping a line cut short by a crash", stacklevel=2)
            if repair:
                tmp = Path(path).with_suffix(".tmp")
                tmp.write_text("".join(lines[:-1]), encoding="utf-8")
                os.replace(tmp, path)
    return rows
