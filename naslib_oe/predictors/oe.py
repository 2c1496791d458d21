"""The OE graph VAE's encoder as a performance predictor (NASLib's ``Predictor`` contract)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from naslib_oe.bo.finetune import FinetuneSettings, refit_encoder
from naslib_oe.errors import ConfigError
from naslib_oe.models import GraphVAE, VAEConfig
from naslib_oe.predictors.base import ArchitecturePredictor
from naslib_oe.predictors.heads import HEADS
from naslib_oe.spaces import ArchDAG, SearchSpace
from naslib_oe.training import PRETRAIN_SAMPLES, TrainConfig, fit_vae


class OEPredictor(ArchitecturePredictor):
    """Posterior means of a (pre)trained graph VAE, with a GP or MLP head on top.

    Give a trained ``vae`` or a ``checkpoint``; otherwise :meth:`pre_process` (or the first
    ``fit``) trains one unsupervised, on ``pretrain_samples`` architectures sampled from
    ``space``: no accuracy is used, so the VAE may be shared by any training set.

    Args:
        space: the search space (needed to load or pretrain; taken from ``vae`` otherwise).
        head: ``gp`` (exact/sparse GP, BoTorch) or ``mlp`` (an ensemble of small MLPs).
        seed: fixes the head (and the pretraining, when there is one).
        model, train: the VAE and training settings for pretraining.
        finetune: refit the input map (operation embeddings, optionally the latent head) on each
            training set, jointly with a GP by the exact marginal likelihood
            (:func:`~naslib_oe.bo.finetune.refit_encoder`); a dict, a ``params`` name or settings.
            The VAE itself is never changed.
    """

    def __init__(self, vae: GraphVAE | None = None, checkpoint: str | Path | None = None,
                 space: SearchSpace | None = None, head: str = "gp", seed: int = 0,
                 model: VAEConfig | None = None, train: TrainConfig | None = None,
                 pretrain_samples: int = PRETRAIN_SAMPLES, finetune: FinetuneSettings | dict | str | None = None):
        if vae is None and checkpoint is not None:
            vae = GraphVAE.load(checkpoint, space)
        space = vae.space if vae is not None else space
        if space is None:
            raise ConfigError("OEPredictor needs a vae, a checkpoint or the space to pretrain on")
        if head not in HEADS:
            raise ConfigError(f"unknown head {head!r}; expected one of {sorted(HEADS)}")
        super().__init__(ss_type=space.name, encoding_type="oe_latent")
        self.vae, self.space, self.head_name, self.seed = vae, space, head, seed
        self.model_config, self.train_config = model or VAEConfig(), train or TrainConfig(seed=seed)
        self.pretrain_samples = pretrain_samples
        self.finetune = FinetuneSettings.from_value(finetune)
        self.input_map: GraphVAE | None = None  # the VAE, or its copy refit on the training set

    def pre_process(self) -> None:
        """Pretrain the VAE if there is none (NASLib calls this before any query)."""
        if self.vae is None:
            dags = self.space.sample_many(self.pretrain_samples, np.random.default_rng(self.seed))
            self.vae = fit_vae(self.space, dags, self.model_config, self.train_config, progress=False)

    def embed(self, dags: list[ArchDAG]) -> torch.Tensor:
        """Posterior means ``[len(dags), latent]`` under the fitted input map (the VAE's before a fit)."""
        self.pre_process()
        with torch.no_grad():
            return (self.input_map or self.vae).embed(dags).cpu()

    def fit_dags(self, dags: list[ArchDAG], y: np.ndarray) -> None:
        self.pre_process()
        self.input_map = None
        if self.finetune.enabled and len(dags) >= self.finetune.min_points:
            self.input_map = refit_encoder(self.vae, dags, torch.as_tensor(y, dtype=torch.float64), self.finetune,
                                           seed=self.seed)
        self.head = HEADS[self.head_name](seed=self.seed).fit(self.embed(dags), y)

    def predict_dags(self, dags: list[ArchDAG]) -> tuple[np.ndarray, np.ndarray]:
        return self.head.predict(self.embed(dags))
