"""The model zoo: trained graph VAEs shipped with the package, addressed as ``zoo:<name>``.

Each model is two files in this folder: ``<name>.safetensors`` (the weights, no pickle)
and ``<name>.json`` (its card: model and training config, space and vocabulary, the
training command, commit, seed, wall time and machine, every metric of ``naslib-oe
evaluate`` for the stored weights, and the weights' sha256). Anything that accepts a
checkpoint path also accepts ``zoo:<name>``; the sha256 is checked before the weights
are read.

This module only finds and verifies files; :meth:`naslib_oe.models.GraphVAE.load` reads them.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from naslib_oe.errors import ZooError
from naslib_oe.utils import sha256_of as sha256

PREFIX = "zoo:"
ZOO_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class ZooModel:
    """One shipped model: its name, weights file and card."""

    name: str
    weights: Path
    card: dict[str, Any]

    @property
    def size_mb(self) -> float:
        return self.weights.stat().st_size / 1e6


def is_zoo_name(checkpoint: str | os.PathLike) -> bool:
    """Whether ``checkpoint`` is a ``zoo:<name>`` reference rather than a path."""
    return isinstance(checkpoint, str) and checkpoint.startswith(PREFIX)


def available() -> list[str]:
    """Names of the shipped models (those with both a card and weights)."""
    return sorted(p.stem for p in ZOO_DIR.glob("*.json") if p.with_suffix(".safetensors").is_file())


def get(name: str, verify: bool = True) -> ZooModel:
    """The model ``name`` (with or without the ``zoo:`` prefix), its sha256 checked when ``verify``.

    Raises:
        ZooError: an unknown name (the message lists the available ones) or a sha256 mismatch.
    """
    name = name.removeprefix(PREFIX)
    names = available()
    if name not in names:
        raise ZooError(f"unknown zoo model {name!r}; available: {', '.join(PREFIX + n for n in names) or 'none'}")
    card_path = ZOO_DIR / f"{name}.json"
    try:
        card = json.loads(card_path.read_text())
    except json.JSONDecodeError as err:
        raise ZooError(f"{card_path}: the card is not valid JSON ({err})") from None
    model = ZooModel(name, ZOO_DIR / f"{name}.safetensors", card)
    if verify:
        actual = sha256(model.weights)
        if actual != card.get("sha256"):
            raise ZooError(f"{model.weights}: sha256 {actual} does not match its card's {card.get('sha256')}; "
                           f"the file is damaged or was replaced (reinstall naslib_oe); available: "
                           f"{', '.join(PREFIX + n for n in names)}")
    return model


def resolve(checkpoint: str | os.PathLike) -> Path:
    """A checkpoint argument -> a file path: ``zoo:<name>`` is looked up and verified, a path is kept."""
    return get(checkpoint).weights if is_zoo_name(checkpoint) else Path(checkpoint)
