"""A tiny synthetic search space and table, for unit tests that need no benchmark files.

It is registered the way a new space is (see :mod:`naslib_oe.spaces.registry`): a codec, a
table with a ``load`` method, and one ``register_space`` line (:func:`register`).

``toychain``: input -> 4 layers in a chain -> output, each layer one of 3 operations, so
81 architectures. Accuracies are a fixed function of the operations, so every value is
known in closed form (:func:`toy_accuracy`).
"""
from __future__ import annotations

import itertools

import numpy as np

from naslib_oe.benchmarks import Metric, TabularBenchmark
from naslib_oe.spaces import (ArchDAG, InvalidArchitecture, SearchSpace, SpaceDescriptor, descriptor,
                              register_space)

TOY_OPS = ("conv", "pool", "skip")
TOY_LAYERS = 4
_OFFSET = 2  # vocab ids of the operations start after input (0) and output (1)
TOY_ADJACENCY = np.eye(TOY_LAYERS + 2, k=1, dtype=bool)  # vertex i feeds vertex i + 1
TOY_ADJACENCY.setflags(write=False)


class ChainSpace(SearchSpace):
    """Native encoding: ``"conv-pool-skip-conv"``."""

    name = "toychain"
    vocab = ("input", "output") + TOY_OPS
    max_nodes = TOY_LAYERS + 2

    def to_dag(self, native: str) -> ArchDAG:
        names = native.split("-")
        if len(names) != TOY_LAYERS or any(n not in TOY_OPS for n in names):
            raise InvalidArchitecture(f"toychain: " f"{native!r}: expected {TOY_LAYERS} of {TOY_OPS} joined by '-'")
        return ArchDAG([0, *(TOY_OPS.index(n) + _OFFSET for n in names), 1], TOY_ADJACENCY)

    def from_dag(self, dag: ArchDAG) -> str:
        self.check(dag)
        return "-".join(self.vocab[o] for o in dag.ops[1:-1])

    def to_string(self, dag: ArchDAG) -> str:
        return self.from_dag(dag)

    def from_string(self, text: str) -> ArchDAG:
        return self.to_dag(text)

    def invalid_reason(self, dag: ArchDAG) -> str | None:
        if dag.n_nodes != self.max_nodes or dag.ops[0] != 0 or dag.ops[-1] != 1:
            return f"must be input, {TOY_LAYERS} layers, output"
        if not all(_OFFSET <= o < len(self.vocab) for o in dag.ops[1:-1]):
            return "layer operations out of range"
        if not np.array_equal(dag.adj, TOY_ADJACENCY):
            return "not a chain"
        return None

    def sample(self, rng: np.random.Generator) -> ArchDAG:
        return ArchDAG([0, *rng.integers(_OFFSET, len(self.vocab), TOY_LAYERS).tolist(), 1], TOY_ADJACENCY)

    def neighbours(self, dag: ArchDAG) -> list[ArchDAG]:
        self.check(dag)
        return [ArchDAG([*dag.ops[:v], op, *dag.ops[v + 1:]], TOY_ADJACENCY)
                for v in range(1, TOY_LAYERS + 1) for op in range(_OFFSET, len(self.vocab)) if op != dag.ops[v]]


def toy_accuracy(ops: tuple[str, ...]) -> tuple[float, float]:
    """(validation, test) accuracy of a chain: convolutions help, more so late in the chain,
    and two pools in a row hurt."""
    val = 80.0 + sum((i + 1) * (op == "conv") for i, op in enumerate(ops)) \
        - 3.0 * sum(a == b == "pool" for a, b in zip(ops, ops[1:]))
    return val, val - 0.5 + 0.1 * (ops[0] == "skip")


class ChainBenchmark(TabularBenchmark):
    """All 81 chains with :func:`toy_accuracy` on ``cifar10``."""

    @classmethod
    def load(cls, path: str | None = None) -> "ChainBenchmark":
        space = ChainSpace()
        combos = list(itertools.product(TOY_OPS, repeat=TOY_LAYERS))
        values = [toy_accuracy(c) for c in combos]
        return cls(space, [space.to_dag("-".join(c)) for c in combos],
                   {("cifar10", Metric.VAL_ACCURACY, None): [v for v, _ in values],
                    ("cifar10", Metric.TEST_ACCURACY, None): [t for _, t in values]},
                   name="toychain", source="tests/synthetic.py", default_dataset="cifar10")


def register() -> SpaceDescriptor:
    """Register ``toychain`` (once per process): the one line a new space adds."""
    try:
        return descriptor("toychain")
    except KeyError:
        return register_space(SpaceDescriptor("toychain", "tests.synthetic:ChainSpace", "tests.synthetic:ChainBenchmark.load"))
