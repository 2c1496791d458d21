"""Model files that load without unpickling: safetensors weights with a JSON header.

A model file is a safetensors file whose metadata key ``naslib_oe`` holds the model's
header (format, space, vocabulary, config) as JSON. Reading one runs no code. Training
states (``train_state.pt``) and model files of earlier versions are ``torch.save`` zips;
they are read with ``torch.load(weights_only=True)``, which accepts tensors and plain
values only, so a file that hides other objects is refused rather than unpickled.
"""
from __future__ import annotations

import json
import os
import pickle
import zipfile
from pathlib import Path
from typing import Any

import torch

from naslib_oe.errors import CheckpointError

CHECKPOINT_FORMAT = 1
HEADER_KEY = "naslib_oe"
HEADER_FIELDS = ("format", "space", "vocab", "max_nodes", "config")


def write_weights(state_dict: dict[str, torch.Tensor], header: dict[str, Any], path: Path,
                  dtype: torch.dtype | None = None) -> None:
    """Write ``state_dict`` as safetensors at ``path``; floating tensors cast to ``dtype`` when given."""
    from safetensors.torch import save_file

    def stored(t: torch.Tensor) -> torch.Tensor:
        t = t.detach().to("cpu")
        if dtype is not None and t.is_floating_point():
            t = t.to(dtype)
        return t.clone().contiguous()  # clone: tied weights (the shared embedding) are saved once per key

    save_file({k: stored(v) for k, v in state_dict.items()}, str(path), metadata={HEADER_KEY: json.dumps(header)})


def _read_safetensors(path: Path) -> dict[str, Any]:
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
            state = {k: f.get_tensor(k) for k in f.keys()}
    except (SafetensorError, OSError, ValueError) as err:
        raise CheckpointError(f"{path}: not a readable model file (corrupt or truncated?): {err}") from None
    if HEADER_KEY not in meta:
        raise CheckpointError(f"{path}: a safetensors file without a naslib_oe header; not a GraphVAE model file")
    try:
        header = json.loads(meta[HEADER_KEY])
    except json.JSONDecodeError as err:
        raise CheckpointError(f"{path}: its naslib_oe header is not valid JSON ({err})") from None
    return {**header, "state_dict": state}


def load_plain(path: Path, map_location: str | torch.device = "cpu") -> Any:
    """A ``torch.save`` file read with ``weights_only=True``; a :class:`CheckpointError` otherwise."""
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        raise CheckpointError(f"{path}: holds pickled objects other than tensors and plain values; refusing to "
                              f"unpickle it (that could run code). Re-create it with this version of naslib_oe. "
                              f"({str(err).splitlines()[0]})") from None
    except (RuntimeError, EOFError, OSError, zipfile.BadZipFile) as err:
        raise CheckpointError(f"{path}: not a readable checkpoint (corrupt or truncated?): {err}") from None


def _read_torch_zip(path: Path) -> dict[str, Any]:
    ckpt = load_plain(path)
    if isinstance(ckpt, dict) and "model" in ckpt and "format" not in ckpt:  # a training state
        ckpt = ckpt["model"]
    return ckpt


def read_checkpoint(checkpoint: str | os.PathLike) -> dict[str, Any]:
    """A model file, training state or ``zoo:<name>`` -> ``{format, space, vocab, max_nodes, config, state_dict}``."""
    from naslib_oe import zoo

    path = zoo.resolve(checkpoint)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such model file")
    with open(path, "rb") as f:
        magic = f.read(4)
    ckpt = _read_torch_zip(path) if magic == b"PK\x03\x04" else _read_safetensors(path)
    missing = [k for k in (*HEADER_FIELDS, "state_dict") if not isinstance(ckpt, dict) or k not in ckpt]
    if missing:
        raise CheckpointError(f"{path}: not a naslib_oe GraphVAE checkpoint (missing {missing})")
    return ckpt


def check_model_file(checkpoint: str | os.PathLike, space: str, what: str = "checkpoint") -> None:
    """Raise a :class:`CheckpointError` unless ``checkpoint`` (a path or ``zoo:<name>``) is a
    readable GraphVAE model of the ``space`` search space: the check an entry point makes
    before any work, so that a wrong model is found before a trial starts, not inside it."""
    try:
        ckpt = read_checkpoint(checkpoint)
    except CheckpointError as err:
        raise CheckpointError(f"{what} {checkpoint}: {err}") from None
    if ckpt["space"] != space:
        raise CheckpointError(f"{what} {checkpoint}: the model was trained on the {ckpt['space']} space, not on "
                              f"{space}; train one for {space} or use a matching zoo model")
