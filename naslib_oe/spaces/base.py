"""What every search-space codec provides: native <-> DAG, validity, hashing and moves.

A codec knows one search space. It converts the space's native encoding (an ENAS line,
an NB201 arch string, an NB101 spec) to the canonical :class:`~naslib_oe.spaces.dag.ArchDAG`
and back, says whether a DAG belongs to the space, and draws, mutates and enumerates
architectures with a seeded ``numpy.random.Generator``.

Every vocabulary puts ``input`` at id 0 and ``output`` at id 1, as D-VAE does.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Sequence

import numpy as np

from naslib_oe.errors import NaslibOEError
from naslib_oe.spaces.dag import ArchDAG, DAGBatch

INPUT_ID = 0
OUTPUT_ID = 1


class InvalidArchitecture(NaslibOEError, ValueError):
    """A native encoding or DAG that is not a member of the search space."""


class SearchSpace(ABC):
    """Base class of the search-space codecs.

    Subclasses set :attr:`name`, :attr:`vocab` (operation names, ``input`` and ``output``
    first) and :attr:`max_nodes`, and implement the abstract methods.
    """

    name: str
    vocab: tuple[str, ...]
    max_nodes: int
    #: Whether the output vertex can take edges from vertices that have other successors.
    #: When False (ENAS, NB201) decoders give it exactly the vertices without successors,
    #: D-VAE's rule; when True (NB101) they also predict its edges.
    predict_output_edges: bool = False

    @property
    def num_ops(self) -> int:
        """Size of the operation vocabulary (including input and output)."""
        return len(self.vocab)

    @property
    def pad_id(self) -> int:
        """Operation id used to pad batches: one past the vocabulary."""
        return len(self.vocab)

    # --- conversion -----------------------------------------------------------------
    @abstractmethod
    def to_dag(self, native: Any) -> ArchDAG:
        """Native encoding -> canonical DAG. Raises :class:`InvalidArchitecture`."""

    @abstractmethod
    def from_dag(self, dag: ArchDAG) -> Any:
        """Canonical DAG -> native encoding. Raises :class:`InvalidArchitecture`."""

    @abstractmethod
    def to_string(self, dag: ArchDAG) -> str:
        """A one-line native string, used in logs and result files."""

    @abstractmethod
    def from_string(self, text: str) -> ArchDAG:
        """Inverse of :meth:`to_string`."""

    # --- membership -------------------------------------------------------------------
    @abstractmethod
    def invalid_reason(self, dag: ArchDAG) -> str | None:
        """Why ``dag`` is not in this space, or None when it is."""

    def is_valid(self, dag: ArchDAG) -> bool:
        return self.invalid_reason(dag) is None

    def check(self, dag: ArchDAG) -> ArchDAG:
        """Return ``dag`` unchanged, or raise :class:`InvalidArchitecture` saying why."""
        reason = self.invalid_reason(dag)
        if reason is not None:
            raise InvalidArchitecture(f"{self.name}: {dag!r} is invalid: {reason}")
        return dag

    def hash(self, dag: ArchDAG) -> str:
        """Identity of the architecture in this space (isomorphic cells may share it)."""
        return dag.key

    # --- sampling and moves -------------------------------------------------------------
    @abstractmethod
    def sample(self, rng: np.random.Generator) -> ArchDAG:
        """A random member of the space."""

    @abstractmethod
    def neighbours(self, dag: ArchDAG) -> list[ArchDAG]:
        """All architectures one move away (distinct by :meth:`hash`, excluding ``dag``)."""

    def mutate(self, dag: ArchDAG, rng: np.random.Generator) -> ArchDAG:
        """A random neighbour of ``dag``."""
        nbhd = self.neighbours(dag)
        return nbhd[int(rng.integers(len(nbhd)))]

    def sample_many(self, n: int, rng: np.random.Generator, unique: bool = True) -> list[ArchDAG]:
        """``n`` random architectures, distinct by :meth:`hash` when ``unique``."""
        out: list[ArchDAG] = []
        seen: set[str] = set()
        while len(out) < n:
            dag = self.sample(rng)
            h = self.hash(dag)
            if unique and h in seen:
                continue
            seen.add(h)
            out.append(dag)
        return out

    # --- batches -------------------------------------------------------------------------
    def collate(self, dags: Sequence[ArchDAG]) -> DAGBatch:
        """Pad DAGs of this space to ``max_nodes`` vertices."""
        return DAGBatch.from_dags(dags, pad_id=self.pad_id, max_nodes=self.max_nodes)

    def op_name(self, op_id: int) -> str:
        return self.vocab[op_id]

    def op_id(self, op_name: str) -> int:
        try:
            return self.vocab.index(op_name)
        except ValueError:
            raise InvalidArchitecture(
                f"{self.name}: unknown operation {op_name!r}; expected one of {list(self.vocab)}"
            ) from None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(vocab={list(self.vocab)}, max_nodes={self.max_nodes})"


def dag_structure_problem(dag: ArchDAG) -> str | None:
    """D-VAE's generic validity: one input first, one output last, no dead ends.

    Every vertex but the input needs a predecessor and every vertex but the output a
    successor; only vertex 0 may be ``input`` and only the last vertex ``output``.
    """
    n = dag.n_nodes
    if n < 2:
        return f"needs at least an input and an output vertex, has {n}"
    ops = np.asarray(dag.ops)
    if ops[0] != INPUT_ID:
        return "vertex 0 is not the input"
    if ops[-1] != OUTPUT_ID:
        return "the last vertex is not the output"
    if (ops[1:] == INPUT_ID).any() or (ops[:-1] == OUTPUT_ID).any():
        return "input/output operations may appear only at the ends"
    indeg = dag.adj.sum(axis=0)
    outdeg = dag.adj.sum(axis=1)
    no_in = [int(v) for v in np.flatnonzero(indeg[1:] == 0) + 1]
    if no_in:
        return f"vertices {no_in} have no incoming edge"
    no_out = [int(v) for v in np.flatnonzero(outdeg[:-1] == 0)]
    if no_out:
        return f"vertices {no_out} have no outgoing edge"
    return None
