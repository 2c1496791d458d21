"""The canonical architecture graph shared by every search space, and its padded batch.

An :class:`ArchDAG` is a cell or macro network written as a directed acyclic graph with
operations on the vertices. Vertices are in topological order, the input vertex first and
the output vertex last, so the adjacency matrix is strictly upper-triangular
(``adj[i, j]`` means an edge ``i -> j``). Operation ids index the vocabulary of the search
space the graph belongs to (see :mod:`naslib_oe.spaces`).

A :class:`DAGBatch` is what models consume: padded tensors with no Python objects, so
that encoders and decoders can work on all graphs at once.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
import torch


class ArchDAG:
    """An architecture as a DAG with operations on vertices.

    Args:
        ops: operation id of each vertex, in topological order (input first, output last).
        adj: ``[n, n]`` boolean adjacency, strictly upper-triangular; ``adj[i, j]`` is the
            edge ``i -> j``. Anything array-like with 0/1 or bool entries is accepted.

    Instances are immutable, compare by value and hash stably across processes
    (:attr:`key`), so they can be used as dictionary keys and logged.
    """

    __slots__ = ("_ops", "_adj", "_key")

    def __init__(self, ops: Sequence[int], adj: np.ndarray | Sequence[Sequence[int]]):
        ops_t = tuple(int(o) for o in ops)
        adj_a = np.array(adj, dtype=bool)
        n = len(ops_t)
        if adj_a.shape != (n, n):
            raise ValueError(f"adj must have shape ({n}, {n}) for {n} ops, got {adj_a.shape}")
        if np.tril(adj_a).any():
            bad = [tuple(map(int, e)) for e in np.argwhere(np.tril(adj_a))]
            raise ValueError(
                f"adj must be strictly upper-triangular (vertices in topological order); "
                f"offending edges i->j with j <= i: {bad}"
            )
        adj_a.setflags(write=False)
        self._ops = ops_t
        self._adj = adj_a
        # Stable across processes (unlike hash(str)): ops and the packed adjacency bits.
        payload = bytes(str(ops_t), "ascii") + np.packbits(adj_a).tobytes()
        self._key = hashlib.sha1(payload).hexdigest()

    @classmethod
    def from_edges(cls, ops: Sequence[int], edges: Iterable[tuple[int, int]]) -> "ArchDAG":
        """Build from an edge list ``[(src, dst), ...]``."""
        adj = np.zeros((len(ops), len(ops)), dtype=bool)
        for src, dst in edges:
            adj[src, dst] = True
        return cls(ops, adj)

    @property
    def ops(self) -> tuple[int, ...]:
        return self._ops

    @property
    def adj(self) -> np.ndarray:
        """Read-only ``[n, n]`` bool adjacency."""
        return self._adj

    @property
    def n_nodes(self) -> int:
        return len(self._ops)

    @property
    def key(self) -> str:
        """Stable hex digest of ops and adjacency (same value in every process)."""
        return self._key

    def edges(self) -> list[tuple[int, int]]:
        """Edges ``(src, dst)`` in row-major order."""
        return [(int(i), int(j)) for i, j in np.argwhere(self._adj)]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ArchDAG) and self._key == other._key

    def __hash__(self) -> int:
        return hash(self._key)

    def __repr__(self) -> str:
        return f"ArchDAG(ops={list(self._ops)}, edges={self.edges()})"

    def __reduce__(self):
        return (ArchDAG, (self._ops, self._adj.copy()))

    def to_networkx(self, vocab: Sequence[str] | None = None):
        """A ``networkx.DiGraph`` with ``op`` (id) and, given a vocabulary, ``label`` attributes.

        For analysis and drawing only; models never see networkx graphs.
        """
        import networkx as nx

        g = nx.DiGraph()
        for v, op in enumerate(self._ops):
            attrs = {"op": op}
            if vocab is not None:
                attrs["label"] = vocab[op]
            g.add_node(v, **attrs)
        g.add_edges_from(self.edges())
        return g


@dataclass
class DAGBatch:
    """A batch of DAGs as padded tensors.

    Attributes:
        ops: ``[B, N]`` long, operation ids; positions ``>= n_nodes[b]`` hold ``pad_id``.
        adj: ``[B, N, N]`` bool, strictly upper-triangular; padded rows/columns are False.
        n_nodes: ``[B]`` long, the number of real vertices of each graph.
        pad_id: the operation id used for padding (the vocabulary size, one past the last op).
    """

    ops: torch.Tensor
    adj: torch.Tensor
    n_nodes: torch.Tensor
    pad_id: int

    @classmethod
    def from_dags(cls, dags: Sequence[ArchDAG], pad_id: int, max_nodes: int | None = None) -> "DAGBatch":
        """Collate DAGs into padded tensors (``N = max_nodes`` or the largest graph)."""
        if len(dags) == 0:
            raise ValueError("cannot collate an empty list of DAGs")
        sizes = np.fromiter((d.n_nodes for d in dags), dtype=np.int64, count=len(dags))
        n_max = int(sizes.max()) if max_nodes is None else int(max_nodes)
        if sizes.max() > n_max:
            raise ValueError(f"a DAG has {int(sizes.max())} vertices, more than max_nodes={n_max}")
        ops = np.full((len(dags), n_max), pad_id, dtype=np.int64)
        adj = np.zeros((len(dags), n_max, n_max), dtype=bool)
        for b, dag in enumerate(dags):  # data preparation, not the model's hot path
            n = dag.n_nodes
            ops[b, :n] = dag.ops
            adj[b, :n, :n] = dag.adj
        return cls(torch.from_numpy(ops), torch.from_numpy(adj), torch.from_numpy(sizes), pad_id)

    def to_dags(self) -> list[ArchDAG]:
        """Back to a list of :class:`ArchDAG` (moves the tensors to the CPU once)."""
        ops = self.ops.cpu().numpy()
        adj = self.adj.cpu().numpy()
        sizes = self.n_nodes.cpu().tolist()
        return [ArchDAG(ops[b, :n], adj[b, :n, :n]) for b, n in enumerate(sizes)]

    def to(self, device: torch.device | str) -> "DAGBatch":
        return DAGBatch(self.ops.to(device), self.adj.to(device), self.n_nodes.to(device), self.pad_id)

    def __len__(self) -> int:
        return self.ops.shape[0]

    def __getitem__(self, index) -> "DAGBatch":
        """Select graphs by a slice, index tensor or boolean mask; keeps ``N``."""
        return DAGBatch(self.ops[index], self.adj[index], self.n_nodes[index], self.pad_id)

    @property
    def max_nodes(self) -> int:
        return self.ops.shape[1]
