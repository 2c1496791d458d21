"""Publishing a trained model into the zoo: stored weights, re-evaluated, and a card.

``naslib-oe zoo --publish NAME --config F --train-dir DIR`` takes the final model of a
training run, stores its weights as safetensors (fp16 by default, to stay under the 16 MB
limit), loads them back, runs the full ``naslib-oe evaluate`` protocol *on the stored
weights*, and writes the card next to them. The card's metrics are therefore those of the
file a user gets.
"""
from __future__ import annotations

import json
import os
import platform
import re
import subprocess
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch

from naslib_oe import zoo
from naslib_oe.errors import CheckpointError
from naslib_oe.models import GraphVAE
from naslib_oe.training import FINAL_MODEL, TRAIN_STATE, load_train_state

MAX_BYTES = 16_000_000
DTYPES = {"float16": torch.float16, "bfloat16": torch.bfloat16, "float32": torch.float32}


def git_commit(repo: Path) -> str | None:
    try:
        return subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} CPU cores ({cpu}), torch {torch.__version__}, {torch.get_num_threads()} threads"


def publish(s, name: str, train_dir: Path, command: str, dtype: str = "float16",
            zoo_dir: Path | None = None, progress: bool = True) -> dict[str, Any]:
    """Store ``train_dir``'s model as zoo model ``name`` (a :class:`~naslib_oe.pipeline.Setup` gives the data)."""
    from naslib_oe import pipeline

    zoo_dir = zoo_dir or zoo.ZOO_DIR
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", name):
        raise CheckpointError(f"zoo names are lower-case letters, digits and dashes; not {name!r}")
    if dtype not in DTYPES:
        raise CheckpointError(f"--dtype must be one of {sorted(DTYPES)}, not {dtype!r}")
    state = load_train_state(train_dir / TRAIN_STATE, torch.device("cpu"))
    if (train_dir / FINAL_MODEL).is_file():
        model = GraphVAE.load(train_dir / FINAL_MODEL, s.bench.space)
    else:  # stopped on a time budget: the model of the last finished epoch, which the state holds
        model = GraphVAE.from_checkpoint_dict(state["model"], s.bench.space, source=str(train_dir / TRAIN_STATE))
    weights = zoo_dir / f"{name}.safetensors"
    model.save(weights, dtype=DTYPES[dtype])
    size = weights.stat().st_size
    if size > MAX_BYTES:
        weights.unlink()
        raise CheckpointError(f"{name}: {size / 1e6:.1f} MB stored as {dtype} exceeds the zoo's "
                              f"{MAX_BYTES / 1e6:.0f} MB; use a smaller dtype or model")
    stored = GraphVAE.load(weights, s.bench.space)  # the metrics are those of the stored weights
    metrics = pipeline.evaluate(s, stored, predictive=True, progress=progress)
    history = state["history"]
    card = {
        "name": name, "space": model.space.name, "vocab": list(model.space.vocab),
        "embedding": model.config.op_embedding, "encoder": model.config.encoder,
        "model": asdict(model.config), "train": state["train_config"], "weights_dtype": dtype,
        "size_mb": round(weights.stat().st_size / 1e6, 2),
        "training": {"command": command, "commit": git_commit(Path(__file__).resolve().parents[1]),
                     "seed": state["train_config"]["seed"], "epochs": len(history),
                     "wall_time_s": round(sum(h["seconds"] for h in history), 1), "machine": machine(),
                     "final_loss": history[-1]} if history else {},
        "metrics": metrics,
        "sha256": zoo.sha256(weights),
    }
    (zoo_dir / f"{name}.json").write_text(json.dumps(card, indent=2) + "\n")
    return card


def zoo_table() -> str:
    """A text table of the shipped models with their headline metrics."""
    rows = [("name", "space", "embedding", "MB", "train min", "recon %", "recon at mu %", "valid %", "RMSE", "r")]
    for name in zoo.available():
        card = zoo.get(name, verify=False).card
        vae, pred = card["metrics"].get("vae", {}), card["metrics"].get("predictive") or {}
        rows.append((zoo.PREFIX + name, card["space"], card["embedding"], f"{card['size_mb']:.1f}",
                     f"{card['training'].get('wall_time_s', float('nan')) / 60:.0f}",
                     f"{100 * vae.get('reconstruction', float('nan')):.2f}",
                     f"{100 * vae.get('reconstruction_at_mean', float('nan')):.2f}",
                     f"{100 * vae.get('validity', float('nan')):.2f}",
                     f"{pred.get('rmse_mean', float('nan')):.3f}", f"{pred.get('pearson_mean', float('nan')):.3f}"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows)
