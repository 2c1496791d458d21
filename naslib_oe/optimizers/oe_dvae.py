"""``oe_dvae``: latent-space BO with an operation-embedding graph VAE, as a NASLib optimizer.

Config keys (all under ``search.oe_dvae``; see :class:`~naslib_oe.config.OESettings` and
:class:`~naslib_oe.bo.BOSettings` for the defaults):

* ``checkpoint``: a trained ``GraphVAE``; without one, the optimizer pretrains a VAE on the
  architectures of the space (unsupervised: no accuracy is used) with ``model``/``train``;
* ``bo``: ``num_init`` random queries first, then rounds of ``batch_size`` proposals
  (``proposal: decode | pool``, ``acq``, ``decode_samples``, ``gp``).

One ``new_epoch`` is one query; a round's proposals are queued and spent one per epoch.
"""
from __future__ import annotations

from collections import deque
from typing import Any, Mapping

from naslib_oe.bo import LatentBO
from naslib_oe.config import OESettings, RunConfig
from naslib_oe.errors import CheckpointError, ConfigError
from naslib_oe.models import GraphVAE
from naslib_oe.optimizers.base import BlackBoxOptimizer
from naslib_oe.spaces import ArchDAG
from naslib_oe.training import PRETRAIN_SAMPLES, fit_vae, resolve_device


class OEDVAE(BlackBoxOptimizer):
    """Operation-embedding D-VAE + latent BO, with NASLib's ``MetaOptimizer`` contract.

    Args:
        config: a parsed :class:`~naslib_oe.config.RunConfig`, or a NASLib-style config (dict or
            yacs ``CfgNode``, as NASLib's Trainer passes it), parsed here; ``seed``, ``dataset``
            and ``search.oe_dvae`` are read. None uses every default.
        vae: an already trained VAE (overrides ``search.oe_dvae.checkpoint``).
    """

    name = "oe_dvae"

    def __init__(self, config: RunConfig | Mapping[str, Any] | None = None, vae: GraphVAE | None = None):
        run = config if isinstance(config, RunConfig) else RunConfig.parse(dict(config or {}), source="oe_dvae config")
        super().__init__(seed=run.seed, dataset=run.dataset)
        self.settings: OESettings = run.settings
        self.vae = vae
        self.bo: LatentBO | None = None
        self.queue: deque[ArchDAG] = deque()

    def on_problem(self) -> None:
        space = self.problem.space
        if self.vae is None:
            self.vae = self._load_or_pretrain()
        if self.vae.space.name != space.name:
            raise CheckpointError(f"oe_dvae: the VAE was trained on {self.vae.space.name}, the search runs on {space.name}")
        pool = list(self.problem.evaluator.candidates()) if self.settings.bo.proposal == "pool" else None
        if pool == []:
            raise ConfigError(f"oe_dvae: proposal 'pool' needs the architectures of the benchmark, and "
                             f"{self.problem.evaluator!r} lists none; set search.oe_dvae.bo.proposal=decode")
        # the problem's prior (D-VAE's training table on ENAS) is None where the benchmark has
        # none or the config leaves it out (bo.use_prior); build_problem decides, for every entry point
        self.bo = LatentBO(self.vae, self.settings.bo, seed=self.seed, prior=self.problem.prior, pool=pool)

    def _load_or_pretrain(self) -> GraphVAE:
        space, device = self.problem.space, resolve_device(self.settings.train.device)
        if self.settings.checkpoint:
            return GraphVAE.load(self.settings.checkpoint, space, map_location=device)
        dags = list(self.problem.evaluator.candidates()) or space.sample_many(PRETRAIN_SAMPLES, self.rng)
        return fit_vae(space, dags, self.settings.model, self.settings.train)

    def propose(self) -> ArchDAG:
        if not self.queue:
            s = self.settings.bo
            n = s.num_init - len(self.history) if len(self.history) < s.num_init else s.batch_size
            self.queue.extend(dag for dag, _ in self.bo.propose(n))
            if not self.queue:
                raise RuntimeError("oe_dvae: no new architecture could be proposed; the space or pool is exhausted")
        return self.queue.popleft()

    def observe(self, dag, result) -> None:
        self.bo.observe(dag, result.val_acc)

    def get_checkpointables(self) -> dict:
        return {"model": self.vae}
