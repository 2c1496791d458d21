"""NASLib's native encodings <-> our :class:`ArchDAG` (no NASLib import needed).

* NB201: NASLib's six op indices, into ``NASLIB_NB201_OPS``, on the edges
  ``NASLIB_NB201_EDGES`` (1-based nodes, ordered by source), while arch strings (and our
  DAG's vertex order) list the edges by destination.
* NB101: NASLib's spec ``{"matrix", "ops"}`` is NAS-Bench-101's own; our codec prunes it and
  hashes it with NB101's isomorphism-invariant spec hash.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from naslib_oe.spaces import ArchDAG, InvalidArchitecture, NB101Space, NB201Space
from naslib_oe.spaces.nb201 import NB201_ADJACENCY, NB201_CELL_EDGES, NB201_EDGE_OPS

NASLIB_NB201_OPS = ("skip_connect", "none", "nor_conv_3x3", "nor_conv_1x1", "avg_pool_3x3")
NASLIB_NB201_EDGES = ((1, 2), (1, 3), (1, 4), (2, 3), (2, 4), (3, 4))
#: position in our (arch-string) edge order of each of NASLib's edges
_OUR_EDGE = [NB201_CELL_EDGES.index((i - 1, j - 1)) for i, j in NASLIB_NB201_EDGES]


def nb201_dag_from_op_indices(op_indices: Sequence[int], space: NB201Space | None = None) -> ArchDAG:
    """NASLib's op indices (``search_space.get_op_indices()``) -> our NB201 DAG."""
    space = space or NB201Space()
    indices = [int(i) for i in op_indices]  # NASLib may hold np.int64
    if len(indices) != 6 or not all(0 <= i < len(NASLIB_NB201_OPS) for i in indices):
        raise InvalidArchitecture(f"nasbench201: expected 6 NASLib op indices in 0..4, got {list(op_indices)}")
    vertex_ops = [0] * 6  # the op vertex of each edge, in our (arch-string) order
    for naslib_pos, op in enumerate(indices):
        vertex_ops[_OUR_EDGE[naslib_pos]] = space.op_id(NASLIB_NB201_OPS[op])
    return ArchDAG([space.op_id("input")] + vertex_ops + [space.op_id("output")], NB201_ADJACENCY)


def nb201_op_indices_from_dag(dag: ArchDAG, space: NB201Space | None = None) -> list[int]:
    """Our NB201 DAG -> NASLib's op indices (for ``search_space.set_op_indices``)."""
    ours = (space or NB201Space()).edge_op_indices(dag)
    return [NASLIB_NB201_OPS.index(NB201_EDGE_OPS[ours[_OUR_EDGE[p]]]) for p in range(6)]


def nb101_dag_from_spec(spec: Mapping[str, Any], space: NB101Space | None = None) -> ArchDAG:
    """NASLib's NB101 spec (``search_space.get_spec()``) -> our pruned NB101 DAG."""
    return (space or NB101Space()).to_dag(spec)


def nb101_spec_from_dag(dag: ArchDAG, space: NB101Space | None = None) -> dict[str, Any]:
    """Our NB101 DAG -> a spec ``{"matrix", "ops"}`` for ``search_space.set_spec``."""
    return (space or NB101Space()).from_dag(dag)
