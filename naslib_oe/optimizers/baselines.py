"""Baselines that need no NASLib: random search, regularized evolution and local search.

All of them query each architecture at most once.
"""
from __future__ import annotations

from collections import deque

from naslib_oe.benchmarks.evaluators import EvalResult
from naslib_oe.errors import ConfigError
from naslib_oe.optimizers.base import BlackBoxOptimizer
from naslib_oe.spaces import ArchDAG


class RandomSearch(BlackBoxOptimizer):
    """Uniformly random new architectures."""

    name = "rs"
    NASLIB_KEYS: tuple[str, ...] = ()

    def propose(self) -> ArchDAG:
        return self.random_new()


class RegularizedEvolution(BlackBoxOptimizer):
    """Real et al. (2019): ageing evolution, NB201 paper's settings by default.

    The first ``population_size`` queries are random; afterwards the best of ``sample_size``
    random members is mutated and the oldest member dies.
    """

    name = "re"
    NASLIB_KEYS = ("population_size", "sample_size")  # read from the config's search section

    def __init__(self, seed: int = 0, population_size: int = 50, sample_size: int = 25, mutation_tries: int = 100,
                 dataset: str | None = None):
        super().__init__(seed, dataset)
        if not 1 <= sample_size <= population_size:
            raise ConfigError(f"re: need 1 <= sample_size ({sample_size}) <= population_size ({population_size})")
        self.population_size, self.sample_size, self.mutation_tries = population_size, sample_size, mutation_tries
        self.population: deque[tuple[ArchDAG, float]] = deque()

    def propose(self) -> ArchDAG:
        if len(self.history) < self.population_size:
            return self.random_new()
        rows = self.rng.choice(len(self.population), size=self.sample_size, replace=False)
        parent = max((self.population[i] for i in rows), key=lambda member: member[1])[0]
        for _ in range(self.mutation_tries):
            child = self.problem.space.mutate(parent, self.rng)
            if self.is_new(child):
                return child
        return self.random_new()  # every mutation was seen before: do not spend a repeat

    def observe(self, dag: ArchDAG, result: EvalResult) -> None:
        self.population.append((dag, result.val_acc))
        if len(self.population) > self.population_size:
            self.population.popleft()


class LocalSearch(BlackBoxOptimizer):
    """White et al. (2020): start from the best of ``num_init`` random architectures, query its
    whole neighbourhood, move to the best neighbour if it improves, else restart at random."""

    name = "ls"
    NASLIB_KEYS = ("num_init",)  # read from the config's search section

    def __init__(self, seed: int = 0, num_init: int = 10, dataset: str | None = None):
        super().__init__(seed, dataset)
        self.num_init = num_init
        self.current: tuple[ArchDAG, float] | None = None
        self.frontier: list[ArchDAG] = []
        self.best_neighbour: tuple[ArchDAG, float] | None = None
        self.restarting = False

    def propose(self) -> ArchDAG:
        if len(self.history) < self.num_init:
            return self.random_new()
        if self.current is None:  # the initial phase is over: climb from its best
            q = self.incumbent()
            self._move_to(q.dag, q.result.val_acc)
        while True:
            self.frontier = [d for d in self.frontier if self.is_new(d)]
            if self.frontier:
                return self.frontier.pop()
            # neighbourhood done: climb if it improved, else restart from a random architecture
            if self.best_neighbour and self.best_neighbour[1] > self.current[1]:
                self._move_to(*self.best_neighbour)
                continue
            self.restarting = True
            return self.random_new()

    def observe(self, dag: ArchDAG, result: EvalResult) -> None:
        if self.restarting:
            self.restarting = False
            self._move_to(dag, result.val_acc)
        elif self.current is not None and (self.best_neighbour is None or result.val_acc > self.best_neighbour[1]):
            self.best_neighbour = (dag, result.val_acc)

    def _move_to(self, dag: ArchDAG, value: float) -> None:
        self.current, self.best_neighbour = (dag, value), None
        neighbours = self.problem.space.neighbours(dag)
        order = self.rng.permutation(len(neighbours))
        self.frontier = [neighbours[i] for i in order]
