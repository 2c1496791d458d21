"""The ENAS macro search space with 6 layers, as used by D-VAE and the paper.

Native encoding: a list with one entry per layer, ``[[op1], [op2, b0], [op3, b0, b1], ...]``.
Layer *i* (1-based) holds its operation id (0..5) and *i - 1* skip bits; bit *j* adds an
edge from vertex *j* (vertex 0 is the input, vertex *k* is layer *k*). Every layer also takes
the previous vertex, and the output vertex takes the last layer (D-VAE's
``decode_ENAS_to_igraph``). The DAG therefore has 8 vertices: input, 6 layers, output.
"""
from __future__ import annotations

import json

import numpy as np

from naslib_oe.spaces.base import InvalidArchitecture, SearchSpace, dag_structure_problem
from naslib_oe.spaces.dag import ArchDAG

#: Layer operations, in the ids of D-VAE's data (0..5).
ENAS_LAYER_OPS = ("conv3x3", "sep3x3", "conv5x5", "sep5x5", "avgpool3x3", "maxpool3x3")
#: Offset of layer operation ids in the vocabulary (D-VAE shifts by 2: 0 input, 1 output).
_OP_OFFSET = 2

EnasNative = list[list[int]]


class EnasSpace(SearchSpace):
    """Codec for the ENAS macro space (``num_layers`` layers, 6 operations)."""

    name = "enas"
    vocab = ("input", "output") + ENAS_LAYER_OPS

    def __init__(self, num_layers: int = 6):
        self.num_layers = num_layers
        self.max_nodes = num_layers + 2

    def to_dag(self, native: EnasNative) -> ArchDAG:
        if not isinstance(native, (list, tuple)) or len(native) != self.num_layers:
            raise InvalidArchitecture(
                f"enas: expected a list of {self.num_layers} layers, got {native!r}"
            )
        n = self.max_nodes
        ops = [0] * n
        ops[-1] = 1
        adj = np.zeros((n, n), dtype=bool)
        for i, layer in enumerate(native):
            if not isinstance(layer, (list, tuple)) or len(layer) != i + 1:
                raise InvalidArchitecture(
                    f"enas: layer {i + 1} must be [op] followed by {i} skip bits, got {layer!r}"
                )
            op, bits = layer[0], layer[1:]
            if op not in range(len(ENAS_LAYER_OPS)):
                raise InvalidArchitecture(f"enas: layer {i + 1} has operation {op!r}, expected 0..5")
            if any(b not in (0, 1) for b in bits):
                raise InvalidArchitecture(f"enas: layer {i + 1} has skip bits {bits!r}, expected 0/1")
            ops[i + 1] = op + _OP_OFFSET
            adj[i, i + 1] = True  # always fed by the previous vertex
            adj[: len(bits), i + 1] |= np.asarray(bits, dtype=bool)
        adj[n - 2, n - 1] = True
        return ArchDAG(ops, adj)

    def from_dag(self, dag: ArchDAG) -> EnasNative:
        self.check(dag)
        native = []
        for v in range(1, self.num_layers + 1):
            bits = dag.adj[: v - 1, v].astype(int).tolist()
            native.append([dag.ops[v] - _OP_OFFSET] + bits)
        return native

    def to_string(self, dag: ArchDAG) -> str:
        # Same spelling as the lines of final_structures6.txt.
        return repr(self.from_dag(dag))

    def from_string(self, text: str) -> ArchDAG:
        try:
            native = json.loads(text)
        except json.JSONDecodeError as err:
            raise InvalidArchitecture(f"enas: cannot parse {text!r}: {err}") from None
        return self.to_dag(native)

    def invalid_reason(self, dag: ArchDAG) -> str | None:
        n = self.max_nodes
        if dag.n_nodes != n:
            return f"has {dag.n_nodes} vertices, the ENAS space has {n}"
        problem = dag_structure_problem(dag)
        if problem:
            return problem
        layer_ops = np.asarray(dag.ops[1:-1])
        if ((layer_ops < _OP_OFFSET) | (layer_ops >= len(self.vocab))).any():
            return f"layer operations {layer_ops.tolist()} must be ids {_OP_OFFSET}..{len(self.vocab) - 1}"
        chain = np.diagonal(dag.adj, offset=1)
        if not chain.all():
            return "every vertex must feed the next one (ENAS chain)"
        if dag.adj[:, -1].sum() != 1:
            return "the output vertex must take the last layer only"
        return None

    def sample(self, rng: np.random.Generator) -> ArchDAG:
        native = [
            [int(rng.integers(len(ENAS_LAYER_OPS)))] + rng.integers(0, 2, size=i).tolist()
            for i in range(self.num_layers)
        ]
        return self.to_dag(native)

    def neighbours(self, dag: ArchDAG) -> list[ArchDAG]:
        """Every single operation change and every single skip-bit flip."""
        self.check(dag)
        out = []
        for v in range(1, self.num_layers + 1):
            for op in range(_OP_OFFSET, len(self.vocab)):
                if op != dag.ops[v]:
                    ops = list(dag.ops)
                    ops[v] = op
                    out.append(ArchDAG(ops, dag.adj))
            for src in range(v - 1):
                adj = dag.adj.copy()
                adj[src, v] = not adj[src, v]
                out.append(ArchDAG(dag.ops, adj))
        return out
