"""NAS-Bench-201 cells in the operation-on-node view.

Native encoding: the arch string ``|op~0|+|op~0|op~1|+|op~0|op~1|op~2|``, where ``op~i`` in
the *j*-th group is the operation on the edge from cell node *i* to cell node *j*.
The DAG has 8 vertices: the input, one vertex per cell edge (in arch-string order:
0->1, 0->2, 1->2, 0->3, 1->3, 2->3) and the output. An edge vertex i->j reads every
vertex that ends at cell node *i* (the input when *i* = 0) and feeds every vertex that
starts at *j* (the output when *j* = 3). The wiring is the same for all 15,625 cells;
only the operations differ.
"""
from __future__ import annotations

import numpy as np

from naslib_oe.spaces.base import InvalidArchitecture, SearchSpace
from naslib_oe.spaces.dag import ArchDAG

NB201_EDGE_OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
#: Cell edges (from node, to node) in arch-string order.
NB201_CELL_EDGES = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))
_OP_OFFSET = 2


def _fixed_adjacency() -> np.ndarray:
    n = len(NB201_CELL_EDGES) + 2
    adj = np.zeros((n, n), dtype=bool)
    for a, (src, _) in enumerate(NB201_CELL_EDGES, start=1):
        if src == 0:
            adj[0, a] = True
        for b, (_, dst) in enumerate(NB201_CELL_EDGES, start=1):
            if dst == src:
                adj[b, a] = True
    for a, (_, dst) in enumerate(NB201_CELL_EDGES, start=1):
        if dst == 3:
            adj[a, n - 1] = True
    return adj


NB201_ADJACENCY = _fixed_adjacency()
NB201_ADJACENCY.setflags(write=False)


class NB201Space(SearchSpace):
    """Codec for NAS-Bench-201 arch strings."""

    name = "nasbench201"
    vocab = ("input", "output") + NB201_EDGE_OPS
    max_nodes = 8

    def to_dag(self, native: str) -> ArchDAG:
        return ArchDAG([0] + [op + _OP_OFFSET for op in self.parse(native)] + [1], NB201_ADJACENCY)

    @staticmethod
    def parse(arch_str: str) -> list[int]:
        """Arch string -> 6 edge-operation ids (indices into ``NB201_EDGE_OPS``)."""
        if not isinstance(arch_str, str):
            raise InvalidArchitecture(f"nasbench201: expected an arch string, got {arch_str!r}")
        groups = arch_str.strip().split("+")
        if len(groups) != 3:
            raise InvalidArchitecture(
                f"nasbench201: {arch_str!r} must have 3 '+'-separated node groups, has {len(groups)}"
            )
        ops = []
        for node, group in enumerate(groups, start=1):
            tokens = group.strip("|").split("|")
            if len(tokens) != node:
                raise InvalidArchitecture(
                    f"nasbench201: node {node} of {arch_str!r} must have {node} inputs, has {len(tokens)}"
                )
            for src, token in enumerate(tokens):
                op, _, src_text = token.partition("~")
                if op not in NB201_EDGE_OPS or src_text != str(src):
                    raise InvalidArchitecture(
                        f"nasbench201: bad edge {token!r} in {arch_str!r}; expected '<op>~{src}' "
                        f"with op in {list(NB201_EDGE_OPS)}"
                    )
                ops.append(NB201_EDGE_OPS.index(op))
        return ops

    def from_dag(self, dag: ArchDAG) -> str:
        self.check(dag)
        names = [self.vocab[o] for o in dag.ops[1:-1]]
        groups, k = [], 0
        for node in (1, 2, 3):
            groups.append("|" + "|".join(f"{names[k + s]}~{s}" for s in range(node)) + "|")
            k += node
        return "+".join(groups)

    def to_string(self, dag: ArchDAG) -> str:
        return self.from_dag(dag)

    def from_string(self, text: str) -> ArchDAG:
        return self.to_dag(text)

    def edge_op_indices(self, dag: ArchDAG) -> list[int]:
        """The 6 edge operations as indices into ``NB201_EDGE_OPS``."""
        self.check(dag)
        return [o - _OP_OFFSET for o in dag.ops[1:-1]]

    def invalid_reason(self, dag: ArchDAG) -> str | None:
        if dag.n_nodes != self.max_nodes:
            return f"has {dag.n_nodes} vertices, NAS-Bench-201 cells have {self.max_nodes}"
        if dag.ops[0] != 0 or dag.ops[-1] != 1:
            return "must start with the input and end with the output vertex"
        middle = np.asarray(dag.ops[1:-1])
        if ((middle < _OP_OFFSET) | (middle >= len(self.vocab))).any():
            return f"edge operations {middle.tolist()} must be ids {_OP_OFFSET}..{len(self.vocab) - 1}"
        if not np.array_equal(dag.adj, NB201_ADJACENCY):
            return "wiring differs from the NAS-Bench-201 cell"
        return None

    def sample(self, rng: np.random.Generator) -> ArchDAG:
        ops = rng.integers(_OP_OFFSET, len(self.vocab), size=len(NB201_CELL_EDGES))
        return ArchDAG([0, *ops.tolist(), 1], NB201_ADJACENCY)

    def neighbours(self, dag: ArchDAG) -> list[ArchDAG]:
        """The 24 cells that differ in one edge operation."""
        self.check(dag)
        out = []
        for v in range(1, self.max_nodes - 1):
            for op in range(_OP_OFFSET, len(self.vocab)):
                if op != dag.ops[v]:
                    ops = list(dag.ops)
                    ops[v] = op
                    out.append(ArchDAG(ops, NB201_ADJACENCY))
        return out

    def all_architectures(self) -> list[ArchDAG]:
        """All 15,625 cells, in lexicographic order of their edge operations."""
        grids = np.stack(np.meshgrid(*[np.arange(len(NB201_EDGE_OPS))] * 6, indexing="ij"), -1)
        return [ArchDAG([0, *(row + _OP_OFFSET).tolist(), 1], NB201_ADJACENCY) for row in grids.reshape(-1, 6)]
