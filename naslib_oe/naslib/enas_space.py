"""The ENAS macro space in NASLib's search-space interface (no NASLib import needed).

NASLib has no ENAS space. :class:`EnasSearchSpace` gives its black-box optimizers (rs, re,
ls, bananas, npenas) what they call on a search space: ``clone``,
``sample_random_architecture``, ``mutate``, ``get_nbhd``, ``query``, ``get_hash``,
``get_type`` and ``encode``. Queries go to one of our evaluators, passed as the
``dataset_api`` (:func:`~naslib_oe.naslib.dataset_api.evaluator_dataset_api`).

Randomness comes from numpy's global generator, which NASLib seeds from ``config.seed``.
"""
from __future__ import annotations

from itertools import product
from typing import Any

import numpy as np
import torch

from naslib_oe.benchmarks.surrogate import adjacency_encoding
from naslib_oe.spaces import ArchDAG, EnasSpace

#: longest operation sequence in the (truncated) path encoding; the full BANANAS encoding
#: would have 6 + 6^2 + ... + 6^6 = 55,986 features
PATH_LENGTH = 3


def _path_index(space: EnasSpace) -> dict[tuple[int, ...], int]:
    layer_ops = range(2, space.num_ops)  # the vocabulary's input and output come first
    seqs = [s for n in range(1, PATH_LENGTH + 1) for s in product(layer_ops, repeat=n)]
    return {s: i for i, s in enumerate(seqs)}


def path_encoding(space: EnasSpace, dag: ArchDAG) -> np.ndarray:
    """BANANAS-style path encoding, truncated: 1 for every sequence of 1 to ``PATH_LENGTH``
    layer operations that lies along a directed path of ``dag``."""
    index = _path_index(space)
    layers = range(1, dag.n_nodes - 1)
    paths = [(v,) for v in layers]
    found = set(paths)
    for _ in range(PATH_LENGTH - 1):
        paths = [p + (w,) for p in paths for w in layers if dag.adj[p[-1], w]]
        found.update(paths)
    out = np.zeros(len(index), dtype=np.float32)
    out[[index[tuple(dag.ops[v] for v in p)] for p in found]] = 1.0
    return out


class EnasSearchSpace(torch.nn.Module):
    """One ENAS architecture (or none yet), with NASLib's search-space methods.

    It is an ``nn.Module`` (with no parameters) only because NASLib's predictors, like
    NASLib's graphs, recognise architectures that way before encoding them.

    Args:
        dag: the architecture; None for the empty space object a runner hands to optimizers.
    """

    QUERYABLE = True
    OPTIMIZER_SCOPE = "all"
    space_name = "enas"
    instantiate_model = False  # a table/surrogate space: there is no network to build

    def __init__(self, dag: ArchDAG | None = None):
        super().__init__()
        self.codec = EnasSpace()
        self.dag = dag

    # --- NASLib's interface ------------------------------------------------------------------
    def clone(self) -> "EnasSearchSpace":
        return EnasSearchSpace(self.dag)  # ArchDAGs are never modified in place

    def get_type(self) -> str:
        return "enas"

    def get_hash(self) -> str:
        return self.codec.hash(self._arch())

    def get_spec(self) -> list[list[int]]:
        """The native ENAS encoding ``[[op1], [op2, b0], ...]``."""
        return self.codec.from_dag(self._arch())

    def set_spec(self, spec: Any, dataset_api: Any = None) -> None:
        self.dag = spec if isinstance(spec, ArchDAG) else self.codec.to_dag(spec)

    def sample_random_architecture(self, dataset_api: Any = None, load_labeled: bool = False) -> None:
        if load_labeled:
            raise NotImplementedError("enas: sampling labelled architectures (load_labeled) is not supported")
        self.dag = self.codec.sample(_global_rng())

    def mutate(self, parent: "EnasSearchSpace", dataset_api: Any = None) -> None:
        self.dag = self.codec.mutate(parent._arch(), _global_rng())

    def get_nbhd(self, dataset_api: Any = None) -> list[torch.nn.Module]:
        """Every single-change neighbour, shuffled, each as ``module.arch`` (NASLib's convention)."""
        neighbours = self.codec.neighbours(self._arch())
        out = []
        for i in np.random.permutation(len(neighbours)):
            module = torch.nn.Module()
            module.arch = EnasSearchSpace(neighbours[i])
            out.append(module)
        return out

    def query(self, metric: Any, dataset: str | None = None, path: str | None = None, epoch: int = -1,
              full_lc: bool = False, dataset_api: dict | None = None) -> Any:
        """``metric`` is NASLib's ``Metric``. ENAS has one accuracy, the supernet's validation
        accuracy (percent); test accuracy and train time are not recorded."""
        if not dataset_api or "evaluator" not in dataset_api:
            raise ValueError("enas: query needs dataset_api=evaluator_dataset_api(evaluator)")
        if full_lc or epoch != -1:
            raise NotImplementedError("enas: only final values are recorded, no learning curves")
        result = dataset_api["evaluator"].query(self._arch())
        name = getattr(metric, "name", str(metric))
        if name == "VAL_ACCURACY":
            return result.val_acc
        if name == "RAW":
            return result.as_dict()
        missing = dataset_api["missing"]
        keys = {"TEST_ACCURACY": "test_acc", "TRAIN_ACCURACY": "train_acc1es", "TRAIN_TIME": "train_time"}
        if name == "TEST_ACCURACY" and result.test_acc is not None:
            return result.test_acc
        return missing(keys.get(name, name), dataset or "enas")

    def encode(self, encoding_type: Any = "adjacency_one_hot") -> Any:
        """``adjacency_one_hot``, ``path`` (truncated, see :func:`path_encoding`) or ``gcn``."""
        kind = getattr(encoding_type, "value", encoding_type)
        dag = self._arch()
        if kind == "adjacency_one_hot":
            return adjacency_encoding(self.codec, [dag])[0]
        if kind == "path":
            return path_encoding(self.codec, dag)
        if kind == "gcn":
            n = dag.n_nodes
            return {"num_vertices": n, "adjacency": dag.adj.astype(np.float32),
                    "operations": np.eye(self.codec.num_ops, dtype=np.float32)[np.asarray(dag.ops)],
                    "mask": np.ones(n, dtype=np.float32), "val_acc": 0.0}
        raise NotImplementedError(f"enas: encoding {kind!r} is not supported; use adjacency_one_hot, path or gcn")

    # --- ours ----------------------------------------------------------------------------------
    def _arch(self) -> ArchDAG:
        if self.dag is None:
            raise ValueError("enas: this search-space object holds no architecture yet; sample or set one first")
        return self.dag

    def __repr__(self) -> str:
        return f"EnasSearchSpace({self.codec.to_string(self.dag) if self.dag is not None else 'empty'})"


def _global_rng() -> np.random.Generator:
    """A generator drawn from numpy's global state, so that NASLib's seeding decides it."""
    return np.random.default_rng(np.random.randint(0, 2**31 - 1))
