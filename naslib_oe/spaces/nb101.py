"""NAS-Bench-101 cells: (adjacency matrix, operation list) specs.

Native encoding: ``{"matrix": [[0/1]*n]*n, "ops": ["input", ..., "output"]}`` (NASLib's and
NB101's ``ModelSpec``). As NB101 does, vertices that are not on an input -> output path are
pruned, a cell may have at most 7 vertices and 9 edges, and isomorphic cells share one
identity: :meth:`NB101Space.hash` is NB101's own spec hash (the md5 keys of
``nasbench_only108`` and NASLib's pickle).

A cell usually has several topological orders (parallel branches can be listed either way),
and a spec's matrix fixes one of them arbitrarily. The codec writes every cell it makes in
one order per isomorphism class (:func:`canonical_form`), so that a model learns one graph
per architecture instead of copying whichever order a spec happened to use.
"""
from __future__ import annotations

import hashlib
import itertools
import json
from functools import lru_cache
from typing import Any, Mapping, Sequence

import numpy as np

from naslib_oe.spaces.base import InvalidArchitecture, SearchSpace, dag_structure_problem
from naslib_oe.spaces.dag import ArchDAG

NB101_OPS = ("maxpool3x3", "conv1x1-bn-relu", "conv3x3-bn-relu")
MAX_VERTICES = 7
MAX_EDGES = 9
# NB101's hash labels operations by their index in this order (input -1, output -2).
_HASH_OP_ORDER = ("conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3")
_OP_OFFSET = 2


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def nb101_spec_hash(matrix: np.ndarray, ops: Sequence[str]) -> str:
    """NB101's ``hash_module``: a Weisfeiler-Lehman style md5 fingerprint of a pruned cell.

    Isomorphic cells get the same hash, so it identifies architectures in NB101's tables.
    """
    matrix = np.asarray(matrix, dtype=int)
    n = matrix.shape[0]
    labels = [-1] + [_HASH_OP_ORDER.index(op) for op in ops[1:-1]] + [-2]
    out_deg, in_deg = matrix.sum(axis=1).tolist(), matrix.sum(axis=0).tolist()
    hashes = [_md5(str(h)) for h in zip(out_deg, in_deg, labels)]
    for _ in range(n):
        hashes = [
            _md5(
                "".join(sorted(hashes[w] for w in range(n) if matrix[w, v]))
                + "|"
                + "".join(sorted(hashes[w] for w in range(n) if matrix[v, w]))
                + "|"
                + hashes[v]
            )
            for v in range(n)
        ]
    return _md5(str(sorted(hashes)))


def prune(matrix: np.ndarray, ops: Sequence[Any]) -> tuple[np.ndarray, list[Any]] | None:
    """Drop vertices not on an input -> output path; None if output is unreachable."""
    matrix = np.asarray(matrix, dtype=bool)
    n = matrix.shape[0]
    reach_fwd = np.zeros(n, dtype=bool)
    reach_fwd[0] = True
    for v in range(1, n):  # topological order: one forward sweep suffices
        reach_fwd[v] = (matrix[:v, v] & reach_fwd[:v]).any()
    reach_bwd = np.zeros(n, dtype=bool)
    reach_bwd[n - 1] = True
    for v in range(n - 2, -1, -1):
        reach_bwd[v] = (matrix[v, v + 1 :] & reach_bwd[v + 1 :]).any()
    keep = reach_fwd & reach_bwd
    if not (keep[0] and keep[-1]):
        return None
    idx = np.flatnonzero(keep)
    return matrix[np.ix_(idx, idx)], [ops[i] for i in idx]


@lru_cache(maxsize=None)
def _vertex_orders(n: int) -> np.ndarray:
    """``[(n-2)!, n]``: every order of ``n`` vertices that keeps the input first and the output last."""
    return np.array([(0, *p, n - 1) for p in itertools.permutations(range(1, n - 1))], dtype=np.intp).reshape(-1, n)


def canonical_form(matrix: np.ndarray, ops: Sequence[int]) -> tuple[np.ndarray, list[int]]:
    """The cell relabelled into its canonical vertex order: among its topological orders, the
    one whose (operation ids, then adjacency bits row by row) sequence is smallest.

    Isomorphic cells have the same set of relabellings, hence the same result. Shapes:
    ``matrix [n, n]`` (strictly upper-triangular), ``ops [n]`` -> the same, relabelled.
    """
    matrix, ops = np.asarray(matrix, dtype=bool), np.asarray(ops, dtype=np.intp)
    orders = _vertex_orders(len(ops))                                    # [k, n]
    adj = matrix[orders[:, :, None], orders[:, None, :]]                 # [k, n, n]
    topological = ~np.tril(adj).any(axis=(1, 2))
    orders, adj = orders[topological], adj[topological]
    keys = np.concatenate([ops[orders], adj.reshape(len(orders), -1)], axis=1)  # [k', n + n*n]
    best = np.lexsort(keys.T[::-1])[0]                                   # lexsort's last key is primary
    return adj[best], ops[orders[best]].tolist()


class NB101Space(SearchSpace):
    """Codec for NAS-Bench-101 specs."""

    name = "nasbench101"
    vocab = ("input", "output") + NB101_OPS
    max_nodes = MAX_VERTICES
    predict_output_edges = True  # e.g. input -> output beside input -> conv -> output

    @staticmethod
    def _pruned(matrix: np.ndarray, ops: Sequence[int]) -> ArchDAG | None:
        """The pruned cell in the spec's own vertex order; None if the output is unreachable."""
        pruned = prune(matrix, ops)
        return None if pruned is None else ArchDAG(pruned[1], pruned[0])

    @staticmethod
    def _canonical(dag: ArchDAG) -> ArchDAG:
        """``dag`` in canonical vertex order. Validity and hash do not depend on the order, so
        callers check them first and canonicalise only the cells they keep."""
        adj, ids = canonical_form(dag.adj, dag.ops)
        return ArchDAG(ids, adj)

    def to_dag(self, native: Mapping[str, Any] | tuple) -> ArchDAG:
        """Spec (``{"matrix", "ops"}`` or a ``(matrix, ops)`` pair) -> pruned DAG in canonical
        vertex order (see the module docstring).

        Ops may be names or vocabulary ids.
        """
        if isinstance(native, Mapping):
            matrix, ops = native.get("matrix"), native.get("ops")
        else:
            matrix, ops = native
        matrix = np.asarray(matrix)
        n = len(ops)
        if matrix.shape != (n, n):
            raise InvalidArchitecture(f"nasbench101: matrix shape {matrix.shape} does not fit {n} ops")
        if np.tril(matrix).any():
            raise InvalidArchitecture("nasbench101: matrix must be strictly upper-triangular")
        ids = [o if isinstance(o, (int, np.integer)) else self.op_id(o) for o in ops]
        if n < 2 or ids[0] != 0 or ids[-1] != 1:
            raise InvalidArchitecture(f"nasbench101: ops must start with input and end with output: {ops}")
        dag = self._pruned(matrix, ids)
        if dag is None:
            raise InvalidArchitecture("nasbench101: the output is not reachable from the input")
        return self._canonical(self.check(dag))

    def from_dag(self, dag: ArchDAG) -> dict[str, Any]:
        self.check(dag)
        return {"matrix": dag.adj.astype(int).tolist(), "ops": [self.vocab[o] for o in dag.ops]}

    def to_string(self, dag: ArchDAG) -> str:
        return json.dumps(self.from_dag(dag), separators=(",", ":"))

    def from_string(self, text: str) -> ArchDAG:
        try:
            return self.to_dag(json.loads(text))
        except (json.JSONDecodeError, AttributeError, TypeError) as err:
            raise InvalidArchitecture(f"nasbench101: cannot parse {text!r}: {err}") from None

    def invalid_reason(self, dag: ArchDAG) -> str | None:
        if dag.n_nodes > MAX_VERTICES:
            return f"has {dag.n_nodes} vertices, NAS-Bench-101 allows {MAX_VERTICES}"
        problem = dag_structure_problem(dag)
        if problem:
            return problem
        n_edges = int(dag.adj.sum())
        if n_edges > MAX_EDGES:
            return f"has {n_edges} edges, NAS-Bench-101 allows {MAX_EDGES}"
        middle = np.asarray(dag.ops[1:-1], dtype=int)
        if ((middle < _OP_OFFSET) | (middle >= len(self.vocab))).any():
            return f"operations {middle.tolist()} must be ids {_OP_OFFSET}..{len(self.vocab) - 1}"
        return None

    def hash(self, dag: ArchDAG) -> str:
        """NB101's spec hash: equal for isomorphic cells."""
        return nb101_spec_hash(dag.adj, [self.vocab[o] for o in dag.ops])

    def sample(self, rng: np.random.Generator) -> ArchDAG:
        """NB101's own recipe: random 7-vertex upper-triangular matrix and ops, until valid."""
        while True:
            matrix = np.triu(rng.integers(0, 2, size=(MAX_VERTICES, MAX_VERTICES)), 1)
            ops = [0, *rng.integers(_OP_OFFSET, len(self.vocab), size=MAX_VERTICES - 2).tolist(), 1]
            dag = self._pruned(matrix, ops)
            if dag is not None and self.is_valid(dag):
                return self._canonical(dag)

    def neighbours(self, dag: ArchDAG) -> list[ArchDAG]:
        """Valid cells one move away: an operation change, an edge flip (then pruning), or a
        new vertex of any operation inserted on an edge. Distinct by NB101 hash, in canonical
        vertex order."""
        self.check(dag)
        n = dag.n_nodes
        candidates: list[tuple[np.ndarray, list[int]]] = []
        for v in range(1, n - 1):
            for op in range(_OP_OFFSET, len(self.vocab)):
                if op != dag.ops[v]:
                    ops = list(dag.ops)
                    ops[v] = op
                    candidates.append((dag.adj, ops))
        for i in range(n):
            for j in range(i + 1, n):
                adj = dag.adj.copy()
                adj[i, j] = not adj[i, j]
                candidates.append((adj, list(dag.ops)))
        if n < MAX_VERTICES:
            for i, j in dag.edges():
                for op in range(_OP_OFFSET, len(self.vocab)):
                    # the new vertex takes position j: i -> new -> (old) j
                    adj = np.insert(np.insert(dag.adj, j, False, axis=0), j, False, axis=1)
                    adj[i, j + 1] = False
                    adj[i, j] = adj[j, j + 1] = True
                    candidates.append((adj, list(dag.ops[:j]) + [op] + list(dag.ops[j:])))
        own = self.hash(dag)
        seen = {own}
        out = []
        for adj, ops in candidates:
            cand = self._pruned(adj, ops)
            if cand is None or not self.is_valid(cand):
                continue
            h = self.hash(cand)
            if h not in seen:
                seen.add(h)
                out.append(self._canonical(cand))
        return out
