"""Fitted regression-tree ensembles as flat arrays: stored without pickle, predicted in numpy.

A scikit-learn ``HistGradientBoostingRegressor`` is a baseline plus a sum of trees. Here
every tree of every ensemble member lives in one set of node arrays (child indices are
global), so that a fitted surrogate can be written to a safetensors file, read back on
another process, and evaluated for a batch of rows in ``depth`` vectorised steps. Only
numeric splits are supported (the surrogate's encodings are 0/1 features).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from naslib_oe.errors import CheckpointError


@dataclass
class TreeArrays:
    """Node arrays of ``len(baseline)`` members; ``[nodes]`` each unless said otherwise."""

    feature: np.ndarray       # int64: the split's input column
    threshold: np.ndarray     # float64: go left when x[feature] <= threshold
    left: np.ndarray          # int64: global index of the left child
    right: np.ndarray         # int64: global index of the right child
    missing_left: np.ndarray  # bool: NaN inputs go left
    is_leaf: np.ndarray       # bool
    value: np.ndarray         # float64: the leaf's contribution
    roots: np.ndarray         # [trees] int64: each tree's root node, trees ordered by member
    member_start: np.ndarray  # [members] int64: each member's first tree in ``roots``
    baseline: np.ndarray      # [members] float64: each member's constant
    depth: int                # the deepest tree's depth (prediction steps)

    @classmethod
    def from_sklearn(cls, members: Sequence[Any]) -> "TreeArrays":
        """Flatten fitted ``HistGradientBoostingRegressor`` s (single-output, numeric splits)."""
        nodes, roots, starts, baselines, offset = [], [], [], [], 0
        for model in members:
            starts.append(len(roots))
            baselines.append(float(np.ravel(model._baseline_prediction)[0]))
            for (tree,) in model._predictors:  # one tree per boosting iteration
                n = tree.nodes
                if n["is_categorical"].any():
                    raise ValueError("TreeArrays: categorical splits are not supported")
                roots.append(offset)
                nodes.append((n, ~n["is_leaf"].astype(bool), offset))
                offset += len(n)
        column = lambda name, dtype: np.concatenate([n[name] for n, _, _ in nodes]).astype(dtype)  # noqa: E731
        left = np.concatenate([np.where(internal, n["left"].astype(np.int64) + off, 0) for n, internal, off in nodes])
        right = np.concatenate([np.where(internal, n["right"].astype(np.int64) + off, 0) for n, internal, off in nodes])
        return cls(feature=column("feature_idx", np.int64), threshold=column("num_threshold", np.float64),
                   left=left, right=right, missing_left=column("missing_go_to_left", bool),
                   is_leaf=column("is_leaf", bool), value=column("value", np.float64),
                   roots=np.asarray(roots, np.int64), member_start=np.asarray(starts, np.int64),
                   baseline=np.asarray(baselines, np.float64),
                   depth=int(max(n["depth"].max() for n, _, _ in nodes)))

    def predict_members(self, x: np.ndarray) -> np.ndarray:
        """``[members, rows]`` predictions for ``x [rows, features]``."""
        rows = np.arange(len(x))[None, :]
        node = np.repeat(self.roots[:, None], len(x), axis=1)  # [trees, rows]
        for _ in range(self.depth):
            inputs = x[rows, self.feature[node]]
            go_left = np.where(np.isnan(inputs), self.missing_left[node], inputs <= self.threshold[node])
            node = np.where(self.is_leaf[node], node, np.where(go_left, self.left[node], self.right[node]))
        per_tree = self.value[node]  # [trees, rows]
        return np.add.reduceat(per_tree, self.member_start, axis=0) + self.baseline[:, None]

    def save(self, path: str | Path, metadata: dict[str, Any]) -> None:
        """Write a safetensors file (arrays) whose header holds ``metadata`` as JSON."""
        from safetensors.numpy import save_file

        arrays = {f.name: np.ascontiguousarray(getattr(self, f.name)) for f in fields(self) if f.name != "depth"}
        arrays = {k: (v.astype(np.uint8) if v.dtype == bool else v) for k, v in arrays.items()}
        header = {"naslib_oe_trees": json.dumps({"depth": self.depth, **metadata})}
        path = Path(path)
        tmp = path.with_suffix(".tmp")
        save_file(arrays, str(tmp), metadata=header)
        tmp.replace(path)  # a reader never sees half a file

    @classmethod
    def load(cls, path: str | Path) -> tuple["TreeArrays", dict[str, Any]]:
        """The arrays and the metadata :meth:`save` wrote; :class:`CheckpointError` on anything else."""
        from safetensors import SafetensorError, safe_open

        try:
            with safe_open(str(path), framework="numpy") as f:
                header = json.loads((f.metadata() or {})["naslib_oe_trees"])
                arrays = {k: f.get_tensor(k) for k in f.keys()}
        except (SafetensorError, OSError, KeyError, ValueError) as err:
            raise CheckpointError(f"{path}: not a stored naslib_oe surrogate ({type(err).__name__}: {err})") from None
        names = [f.name for f in fields(cls) if f.name != "depth"]
        if sorted(arrays) != sorted(names):
            raise CheckpointError(f"{path}: surrogate arrays {sorted(arrays)}, expected {sorted(names)}")
        for flag in ("missing_left", "is_leaf"):
            arrays[flag] = arrays[flag].astype(bool)
        depth = header.pop("depth")
        return cls(**arrays, depth=int(depth)), header
