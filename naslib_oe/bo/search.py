"""Bayesian optimisation in the latent space of a graph VAE (DESIGN.md section 6).

:class:`LatentBO` is the ask/tell core: ``propose(n)`` returns ``n`` new architectures,
``observe(dag, value)`` records a result. It knows latent vectors and architectures only;
whoever drives it (:func:`run_search`, the ``OEDVAE`` optimizer) owns the evaluator and the
budget. Each proposal round fits a GP on every observation (plus an optional prior: D-VAE's
training table) and picks points by batch expected improvement, then turns them into
architectures:

* ``decode``: points in the bounding box of the reference latents, each decoded
  ``decode_samples`` times; the most frequent valid decode is kept (D-VAE);
* ``pool``: the best candidates of a known pool by acquisition value (exact on tables).

With ``finetune`` (:mod:`naslib_oe.bo.finetune`) each round first refits the VAE's input map
(the operation-embedding table, optionally the latent head) on the labelled points, jointly
with a GP by the exact marginal likelihood and held near the pretrained weights; the round's
GP, its candidates and its latent box then use the refit map. Decoding keeps the pretrained
decoder. The refit is a function of the round's data and seed, so a replayed search repeats it.

With ``local_top = k > 0`` a round first looks near the best architectures known so far: its
candidates are the unseen architectures within ``r`` moves (:meth:`SearchSpace.neighbours`) of
the ``k`` best, ranked by the same acquisition, a trust region in architecture space. Only when
those run out does the round fall back to the global proposal above. The radius ``r`` is
``local_radius`` after a round that raised the best value (and at the start); each round that
did not widens it by one move, up to ``local_radius_max``: a search stuck on a local optimum
looks further out, as variable-neighbourhood search does, while the GP still ranks the ball.

Architectures already observed (or in the prior) are dropped and the round re-proposes, so
that every query of the budget is a new architecture. When re-proposing cannot find enough
new ones, the rest are random new architectures of the space, marked ``source="random"``.
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Literal, Sequence

import numpy as np
import torch
from tqdm.auto import tqdm

from naslib_oe.benchmarks.evaluators import EvalResult, Evaluator
from naslib_oe.bo.acquisition import ACQUISITIONS, optimize_batch, select_from_pool
from naslib_oe.bo.finetune import FinetuneSettings, refit_encoder
from naslib_oe.bo.proposals import decode_most_frequent
from naslib_oe.bo.surrogate import GPSettings, fit_gp
from naslib_oe.bo.targets import TARGETS
from naslib_oe.errors import ConfigError, RunFolderError
from naslib_oe.models import GraphVAE
from naslib_oe.problem import Prior
from naslib_oe.spaces import ArchDAG
from naslib_oe.utils import dataclass_from_dict

#: re-proposal rounds before the rest of a batch is filled with random new architectures
MAX_REPROPOSALS = 3
#: architectures sampled from the space for the latent box when there is neither prior nor pool
BOX_SAMPLES = 2000


@dataclass
class BOSettings:
    """Settings of the latent BO (``search.oe_dvae.bo`` in a config)."""

    budget: int = 500                 # queries in all, the random initial ones included
    batch_size: int = 50              # queries proposed per round
    rounds: int | None = None         # optional cap on BO rounds (None: until the budget is spent)
    num_init: int = 0                 # random queries before the first round (0 needs a prior)
    proposal: Literal["decode", "pool"] = "decode"
    decode_samples: int = 100         # stochastic decodes per latent point (decode mode)
    acq: str = "qlogei"               # qlogei | qei
    targets: Literal["raw", "copula"] = "copula"  # what the GP is fit on; see naslib_oe.bo.targets
    local_top: int = 0                # > 0: candidates are the neighbours of this many best architectures
    local_radius: int = 1             # moves from those best: the trust region after a round that improved
    local_radius_max: int | None = None  # widen by one move per round without improvement, up to this (None: no widening)
    use_prior: bool = True            # fit the GP on the training table too, where one is given
    num_restarts: int = 5             # acquisition optimiser: L-BFGS restarts per point
    raw_samples: int = 256            # acquisition optimiser: random points to start from
    gp: GPSettings = field(default_factory=GPSettings)
    finetune: FinetuneSettings = field(default_factory=FinetuneSettings)  # refit the input map each round

    def __post_init__(self) -> None:
        if isinstance(self.gp, dict):
            self.gp = GPSettings.from_dict(self.gp)
        self.finetune = FinetuneSettings.from_value(self.finetune)
        if self.proposal not in ("decode", "pool"):
            raise ConfigError(f"bo.proposal must be 'decode' or 'pool', not {self.proposal!r}")
        if self.targets not in TARGETS:
            raise ConfigError(f"bo.targets must be one of {sorted(TARGETS)}, not {self.targets!r}")
        if self.acq.lower() not in ACQUISITIONS:  # checked here, before any query is spent
            raise ConfigError(f"bo.acq must be one of {sorted(ACQUISITIONS)}, not {self.acq!r}")
        if self.budget < 1 or self.batch_size < 1 or self.num_init < 0 or self.decode_samples < 1 or self.local_top < 0:
            raise ConfigError("bo.budget, batch_size and decode_samples must be positive, num_init and local_top >= 0")
        if self.local_radius < 1 or (self.local_radius_max is not None and self.local_radius_max < self.local_radius):
            raise ConfigError(f"bo.local_radius must be >= 1 and bo.local_radius_max >= local_radius, not "
                              f"{self.local_radius} and {self.local_radius_max}")
        if self.num_init > self.budget:
            raise ConfigError(f"bo.num_init ({self.num_init}) exceeds bo.budget ({self.budget})")

    @classmethod
    def from_dict(cls, values: dict) -> "BOSettings":
        return dataclass_from_dict(cls, values, "bo settings")


class LatentBO:
    """Ask/tell latent-space BO.

    Args:
        vae: a trained graph VAE (its space is the search space).
        settings: see :class:`BOSettings`.
        seed: fixes initial samples, GP fits, acquisition restarts and decoding.
        prior: known values to fit the GP on as well (used when ``settings.use_prior``);
            its architectures are never proposed.
        pool: candidates for ``proposal="pool"``, also the random-initialisation source there.
    """

    def __init__(self, vae: GraphVAE, settings: BOSettings, seed: int = 0, prior: Prior | None = None,
                 pool: Sequence[ArchDAG] | None = None):
        if settings.proposal == "pool" and not pool:
            raise ConfigError("bo.proposal 'pool' needs a candidate pool (a table evaluator)")
        self.vae, self.settings, self.seed = vae, settings, seed
        self.space = vae.space
        self.rng = np.random.default_rng(seed)
        self.decode_generator = torch.Generator(device=vae.device).manual_seed(seed)
        self.rounds_done = 0
        self.observed: list[tuple[ArchDAG, float]] = []
        self._known = {self.space.hash(d) for d in prior.dags} if prior else set()
        self._prior = prior if (prior and settings.use_prior) else None
        self._prior_z = vae.embed(list(prior.dags)).double() if self._prior else None
        self._pool = [d for d in pool if self.space.hash(d) not in self._known] if pool else None
        self._pool_z = vae.embed(self._pool).double() if self._pool else None  # embedded once, reused every round
        self._pool_row = {self.space.hash(d): i for i, d in enumerate(self._pool)} if self._pool else None
        if self._prior_z is not None:
            ref_z, self._reference = self._prior_z, list(prior.dags)
        elif self._pool_z is not None:
            ref_z, self._reference = self._pool_z, self._pool
        else:
            self._reference = list(prior.dags) if prior else self.space.sample_many(BOX_SAMPLES, self.rng)
            ref_z = vae.embed(self._reference).double()
        self.bounds = torch.stack([ref_z.min(0).values, ref_z.max(0).values])  # [2, latent]
        self.input_map: GraphVAE = vae  # the round's input map: ``vae``, or its refit copy (bo.finetune)
        self._refit_prior_z: torch.Tensor | None = None  # the prior under the refit map, embedded once per refit
        self.radius = settings.local_radius  # the trust region's radius in moves (local_top rounds)
        self._best_at_last_round: float | None = None  # best observed value when the last BO round was proposed

    # --- tell ----------------------------------------------------------------------------
    def observe(self, dag: ArchDAG, value: float) -> None:
        self._known.add(self.space.hash(dag))
        self.observed.append((dag, float(value)))

    def is_new(self, dag: ArchDAG) -> bool:
        return self.space.hash(dag) not in self._known

    # --- ask -----------------------------------------------------------------------------
    def propose(self, n: int) -> list[tuple[ArchDAG, str]]:
        """``n`` new architectures with their source (``init``, ``bo`` or ``random``)."""
        # random starts until num_init are in; without a prior the GP needs two points at least
        if len(self.observed) < self.settings.num_init or (self._prior is None and len(self.observed) < 2):
            return [(d, "init") for d in self._random_new(n)]
        chosen = self._bo_round(n)
        self.rounds_done += 1
        return [(d, "bo") for d in chosen] + [(d, "random") for d in self._random_new(n - len(chosen), chosen)]

    def _random_new(self, n: int, also_taken: Sequence[ArchDAG] = ()) -> list[ArchDAG]:
        taken = {self.space.hash(d) for d in also_taken}
        out: list[ArchDAG] = []
        for _ in range(100 * max(n, 1)):
            if len(out) == n:
                break
            dag = (self._pool[int(self.rng.integers(len(self._pool)))] if self._pool
                   else self.space.sample(self.rng))
            key = self.space.hash(dag)
            if key not in self._known and key not in taken:
                taken.add(key)
                out.append(dag)
        return out

    def _latents(self, dags: Sequence[ArchDAG]) -> torch.Tensor:
        """``[len(dags), latent]`` under the round's input map."""
        return self.input_map.embed(list(dags)).double()

    def _training_data(self) -> tuple[torch.Tensor, torch.Tensor]:
        z = self._latents([d for d, _ in self.observed])
        y = torch.tensor([v for _, v in self.observed], dtype=torch.float64, device=z.device)
        if self._prior is not None:
            z = torch.cat([self._prior_latents(), z])
            y = torch.cat([torch.tensor(self._prior.values, dtype=torch.float64, device=z.device), y])
        return z, y

    def _prior_latents(self) -> torch.Tensor:
        """``[n_prior, latent]`` under the round's input map: the GP's data and, decoding, the box."""
        if self.input_map is self.vae:
            return self._prior_z
        if self._refit_prior_z is None:
            self._refit_prior_z = self._latents(self._prior.dags)
        return self._refit_prior_z

    def _refit(self, seed: int) -> None:
        """Refit the input map on the observations and a seeded subset of the prior (bo.finetune)."""
        f = self.settings.finetune
        if not f.enabled or len(self.observed) < f.min_points:
            self.input_map = self.vae
            return
        labelled = self.observed[-f.max_points:]
        if self._prior is not None and len(labelled) < f.max_points:
            rows = np.random.default_rng(seed).permutation(len(self._prior.dags))[: f.max_points - len(labelled)]
            labelled = [(self._prior.dags[i], self._prior.values[i]) for i in sorted(rows)] + labelled
        y = TARGETS[self.settings.targets](torch.tensor([v for _, v in labelled], dtype=torch.float64))
        self._refit_prior_z = None
        previous = self.input_map if f.warm_start and self.input_map is not self.vae else None
        self.input_map = refit_encoder(self.vae, [d for d, _ in labelled], y, f, self.settings.gp, seed=seed,
                                       warm_start=previous)

    def _bo_round(self, n: int) -> list[ArchDAG]:
        s = self.settings
        seed = self.seed * 10_007 + self.rounds_done
        self._refit(seed)
        z, y = self._training_data()
        y = TARGETS[s.targets](y)  # monotone: the best architecture stays the best
        gp = fit_gp(z, y, s.gp, seed=seed)
        best_f = float(y.max())
        chosen: list[ArchDAG] = []
        if s.local_top:
            self._update_radius()
            local, local_z = self._local_candidates(s.local_top, self.radius)
            if local:
                chosen = [local[i] for i in select_from_pool(gp, best_f, local_z, n, s.acq, seed=seed)]
        if len(chosen) < n:
            chosen += self._global_round(gp, best_f, n - len(chosen), chosen, seed)
        return chosen

    def _update_radius(self) -> None:
        """Reset the trust region after a round that raised the best value, widen it after one that did not."""
        best = max(v for _, v in self.observed)
        improved = self._best_at_last_round is None or best > self._best_at_last_round
        widest = self.settings.local_radius_max or self.settings.local_radius
        self.radius = self.settings.local_radius if improved else min(self.radius + 1, widest)
        self._best_at_last_round = best

    def _local_candidates(self, top: int, radius: int) -> tuple[list[ArchDAG], torch.Tensor | None]:
        """The unseen architectures within ``radius`` moves of the ``top`` best known ones (the
        prior's too) that can be evaluated (in the pool, when there is one), with their latents
        ``[C, latent]``."""
        known = list(self.observed) + (list(zip(self._prior.dags, self._prior.values)) if self._prior else [])
        best = sorted(known, key=lambda dv: dv[1], reverse=True)[:top]
        candidates: dict[str, ArchDAG] = {}
        reached = {self.space.hash(d) for d, _ in best}
        frontier = [d for d, _ in best]
        for _ in range(radius):  # breadth first: each architecture is expanded once
            next_frontier = []
            for dag in frontier:
                for nb in self.space.neighbours(dag):
                    key = self.space.hash(nb)
                    if key in reached:
                        continue
                    reached.add(key)
                    next_frontier.append(nb)
                    if key not in self._known and (self._pool_row is None or key in self._pool_row):
                        candidates[key] = nb
            frontier = next_frontier
        if not candidates:
            return [], None
        dags = list(candidates.values())
        if self._pool_row is not None and self.input_map is self.vae:
            rows = torch.tensor([self._pool_row[k] for k in candidates], device=self._pool_z.device)
            return dags, self._pool_z[rows]
        return dags, self._latents(dags)

    def _global_round(self, gp, best_f: float, n: int, taken_dags: Sequence[ArchDAG], seed: int) -> list[ArchDAG]:
        """``n`` new architectures from the whole pool, or decoded from the latent box."""
        s = self.settings
        taken = {self.space.hash(d) for d in taken_dags}
        if s.proposal == "pool":
            fresh = [i for i, d in enumerate(self._pool) if self.is_new(d) and self.space.hash(d) not in taken]
            fresh_z = (self._pool_z[fresh] if self.input_map is self.vae
                       else self._latents([self._pool[i] for i in fresh]))
            rows = select_from_pool(gp, best_f, fresh_z, n, s.acq, seed=seed)
            return [self._pool[fresh[i]] for i in rows]
        chosen: list[ArchDAG] = []
        pending: torch.Tensor | None = None
        bounds = self.bounds
        if self.input_map is not self.vae:  # the refit map moves the latents: the box follows them
            ref_z = self._prior_latents() if self._prior is not None else self._latents(self._reference)
            bounds = torch.stack([ref_z.min(0).values, ref_z.max(0).values])
        for attempt in range(MAX_REPROPOSALS):
            # decoded by the pretrained decoder: the refit stays near it, and candidates are re-embedded
            points = optimize_batch(gp, best_f, bounds, n - len(chosen), s.acq, X_pending=pending,
                                    num_restarts=s.num_restarts, raw_samples=s.raw_samples, seed=seed + attempt)
            for dag in decode_most_frequent(self.vae, points, s.decode_samples, self.decode_generator):
                if dag is not None and self.is_new(dag) and self.space.hash(dag) not in taken:
                    taken.add(self.space.hash(dag))
                    chosen.append(dag)
            if len(chosen) == n:
                break
            # points that gave nothing new stay pending, so the next attempt looks elsewhere
            pending = points if pending is None else torch.cat([pending, points])
        return chosen


# --- the loop over an evaluator -----------------------------------------------------------
@dataclass
class QueryRecord:
    """One logged query."""

    query: int                 # 1-based index within the budget
    round: int                 # 0 for the random initial queries
    source: str                # init | bo | random
    arch: str                  # native string of the space
    val_acc: float
    test_acc: float | None
    best_val: float            # best validation accuracy so far
    incumbent_test: float | None  # test accuracy of the best-so-far architecture
    cost: float
    surrogate: bool
    wall_time: float           # seconds since the search started

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class SearchResult:
    records: list[QueryRecord]
    settings: BOSettings
    evaluator: str

    @property
    def best(self) -> QueryRecord:
        return max(self.records, key=lambda r: r.val_acc)

    def best_by_round(self) -> list[tuple[int, int, float]]:
        """``(round, queries so far, best validation accuracy so far)`` after every round."""
        out: dict[int, tuple[int, int, float]] = {}
        for r in self.records:
            out[r.round] = (r.round, r.query, r.best_val)
        return sorted(out.values())

    @property
    def n_surrogate(self) -> int:
        return sum(r.surrogate for r in self.records)


def run_search(vae: GraphVAE, evaluator: Evaluator, settings: BOSettings, seed: int = 0,
               prior: Prior | None = None, log_path: str | Path | None = None,
               on_query: Callable[[QueryRecord], None] | None = None, progress: bool = True,
               replay: Sequence[dict] = ()) -> SearchResult:
    """Spend ``settings.budget`` queries of ``evaluator`` on latent BO.

    Every query is a new architecture; the loop stops exactly at the budget (or after
    ``settings.rounds`` BO rounds). With ``log_path``, each query is appended to a JSON-lines
    file as it happens.

    ``replay`` resumes a stopped search: the logged queries of that search (the lines of its
    ``log_path``), in order. The search runs again from the start with the same seed, and its
    first ``len(replay)`` proposals take their values from the log instead of the evaluator
    (and are not logged again); a proposal that differs from the logged one is an error,
    since it means the log belongs to another setting.
    """
    pool = evaluator.candidates() if settings.proposal == "pool" else None
    bo = LatentBO(vae, settings, seed, prior, pool)
    records: list[QueryRecord] = []
    best: EvalResult | None = None  # the incumbent's result
    start = time.perf_counter()
    log = open(log_path, "a", encoding="utf-8") if log_path else None
    bar = tqdm(total=settings.budget, desc="BO queries", unit="query", disable=not progress)
    try:
        while len(records) < settings.budget:
            if settings.rounds is not None and bo.rounds_done >= settings.rounds:
                break
            want = min(settings.batch_size if bo.observed or settings.num_init == 0 else settings.num_init,
                       settings.budget - len(records))
            proposals = bo.propose(want)
            if not proposals:
                raise RuntimeError(f"no new {bo.space.name} architecture could be proposed after "
                                   f"{len(records)} queries; the space or pool is exhausted")
            for dag, source in proposals:
                replayed = replay[len(records)] if len(records) < len(replay) else None
                result = _replayed_result(replayed, bo.space.to_string(dag), len(records) + 1, log_path) \
                    if replayed is not None else evaluator.query(dag)
                bo.observe(dag, result.val_acc)
                if best is None or result.val_acc > best.val_acc:
                    best = result
                record = QueryRecord(len(records) + 1, bo.rounds_done, source, bo.space.to_string(dag),
                                     result.val_acc, result.test_acc, best.val_acc, best.test_acc, result.cost,
                                     result.surrogate, time.perf_counter() - start)
                records.append(record)
                if log and replayed is None:
                    log.write(json.dumps(record.as_dict()) + "\n")
                    log.flush()
                if on_query:
                    on_query(record)
                bar.update(1)
                bar.set_postfix(best=f"{best.val_acc:.2f}", round=bo.rounds_done)
    finally:
        bar.close()
        if log:
            log.close()
    return SearchResult(records, settings, repr(evaluator))


def _replayed_result(logged: dict, arch: str, query: int, log_path: str | Path | None) -> EvalResult:
    """The logged answer to query ``query``, after checking that it was asked for ``arch``."""
    if logged.get("arch") != arch:
        raise RunFolderError(f"{log_path}: query {query} was {logged.get('arch')!r} but the resumed search proposes "
                             f"{arch!r}; the log comes from other settings (remove it to start over)")
    return EvalResult(logged["val_acc"], logged.get("test_acc"), logged.get("cost", 0.0), logged.get("surrogate", False))
