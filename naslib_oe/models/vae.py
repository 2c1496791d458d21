"""``GraphVAE``: operation embedding + graph encoder + D-VAE decoder, saved with its space.

DVAE-EMB is ``GraphVAE(space, VAEConfig(op_embedding="learned"))``, plain D-VAE is
``op_embedding="onehot"``, and GCN-EMB is ``encoder="gcn"``. The loss is D-VAE's:
reconstruction negative log-likelihood under teacher forcing plus ``beta`` times the KL
divergence to N(0, I), summed over the batch.
"""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, NamedTuple, Sequence

import torch
from torch import nn

from naslib_oe.errors import CheckpointError, ConfigError
from naslib_oe.models.checkpoint import CHECKPOINT_FORMAT, read_checkpoint, write_weights
from naslib_oe.models.decoder import DVAEDecoder
from naslib_oe.models.embedding import OperationEmbedding
from naslib_oe.models.registry import build_encoder
from naslib_oe.spaces import ArchDAG, DAGBatch, SearchSpace, get_space
from naslib_oe.utils import dataclass_from_dict


@dataclass
class VAEConfig:
    """Model settings (``search.oe_dvae`` in a config file). Defaults are the paper's."""

    encoder: str = "dvae"          # dvae | dagnn | gcn
    op_embedding: str = "learned"  # learned (DVAE-EMB) | onehot (D-VAE)
    op_embedding_dim: int = 8
    hidden: int = 501
    latent: int = 56
    bidirectional: bool = True
    gcn_layers: int = 3
    dagnn_layers: int = 2          # encoder dagnn: layers per direction (DAGNN's default)
    beta: float = 0.005
    logvar_init: float = 0.0       # initial bias of the posterior log-variance (0: D-VAE's default init)
    positions: bool = False        # decoder: learned position vectors in its type and edge MLPs (NB201 needs them; D-VAE: off)
    latent_skip: bool = False      # decoder: z feeds its type and edge MLPs directly, not only through the GRU chain (D-VAE: off)
    eps_scale: float = 1.0         # training noise: z = mu + eps_scale * eps * sigma (D-VAE's code: 0.01); evaluation embeds mu

    def __post_init__(self) -> None:
        if self.op_embedding not in ("learned", "onehot"):
            raise ConfigError(f"op_embedding must be 'learned' or 'onehot', got {self.op_embedding!r}")
        if self.op_embedding_dim < 1 or self.hidden < 1 or self.latent < 1 or self.gcn_layers < 1 or self.dagnn_layers < 1:
            raise ConfigError(f"sizes must be positive: {self}")
        if self.beta < 0:
            raise ConfigError(f"beta must be >= 0, got {self.beta}")
        if self.eps_scale < 0:
            raise ConfigError(f"eps_scale must be >= 0, got {self.eps_scale}")

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "VAEConfig":
        return dataclass_from_dict(cls, values, "model settings")


class LossTerms(NamedTuple):
    total: torch.Tensor  # recon + beta * kl, summed over the batch
    recon: torch.Tensor  # negative log-likelihood, summed over the batch
    kl: torch.Tensor     # KL(q(z|G) || N(0, I)), summed over the batch


class GraphVAE(nn.Module):
    """Graph VAE over the DAGs of one search space.

    Args:
        space: the search space (its vocabulary and ``max_nodes`` size the model).
        config: model settings.
    """

    def __init__(self, space: SearchSpace, config: VAEConfig | None = None):
        super().__init__()
        self.config = config or VAEConfig()
        self.space = space
        cfg = self.config
        self.embedding = OperationEmbedding(space.num_ops, cfg.op_embedding_dim, learned=cfg.op_embedding == "learned")
        self.encoder = build_encoder(cfg.encoder, input_dim=self.embedding.dim, hidden=cfg.hidden,
                                     max_nodes=space.max_nodes, bidirectional=cfg.bidirectional,
                                     gcn_layers=cfg.gcn_layers, dagnn_layers=cfg.dagnn_layers)
        self.to_mu = nn.Linear(cfg.hidden, cfg.latent)
        self.to_logvar = nn.Linear(cfg.hidden, cfg.latent)
        if cfg.logvar_init:
            # a narrow initial posterior lets the decoder read z from the first step instead of noise
            nn.init.constant_(self.to_logvar.bias, cfg.logvar_init)
        self.decoder = DVAEDecoder(self.embedding, cfg.hidden, cfg.latent, space.max_nodes,
                                   predict_output_edges=space.predict_output_edges,
                                   positions=cfg.positions, latent_skip=cfg.latent_skip)

    @property
    def device(self) -> torch.device:
        return self.to_mu.weight.device

    # --- core ----------------------------------------------------------------------------
    def encode(self, batch: DAGBatch) -> tuple[torch.Tensor, torch.Tensor]:
        """``batch`` -> posterior ``(mu [B, latent], logvar [B, latent])``."""
        h = self.encoder(self.embedding(batch.ops), batch)
        return self.to_mu(h), self.to_logvar(h)

    def sample_noise(self, batch_size: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``[batch_size, latent]`` training noise for the reparameterisation: standard normal
        times ``config.eps_scale`` (D-VAE's ``reparameterize(eps_scale=0.01)``; 0 trains on mu)."""
        noise = torch.randn(batch_size, self.config.latent, generator=generator, device=self.device,
                            dtype=self.to_mu.weight.dtype)
        return noise * self.config.eps_scale

    @staticmethod
    def reparameterize(mu: torch.Tensor, logvar: torch.Tensor, generator: torch.Generator | None = None,
                       noise: torch.Tensor | None = None) -> torch.Tensor:
        if noise is None:
            noise = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
        return mu + noise * torch.exp(0.5 * logvar)

    def loss(self, batch: DAGBatch, generator: torch.Generator | None = None) -> LossTerms:
        """D-VAE's loss of a batch (sums over graphs; divide by ``len(batch)`` for means)."""
        return self.loss_with_noise(batch, self.sample_noise(len(batch), generator))

    def loss_with_noise(self, batch: DAGBatch, noise: torch.Tensor) -> LossTerms:
        """:meth:`loss` with the reparameterisation noise ``[B, latent]`` given.

        Deterministic, with no generator argument, so that ``torch.compile`` can capture it whole.
        """
        mu, logvar = self.encode(batch)
        z = self.reparameterize(mu, logvar, noise=noise)
        vertex_ll, edge_ll = self.decoder.log_likelihood(z, batch)
        recon = -(vertex_ll + edge_ll).sum()
        kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        return LossTerms(recon + self.config.beta * kl, recon, kl)

    def decode(self, z: torch.Tensor, stochastic: bool = False, generator: torch.Generator | None = None) -> DAGBatch:
        """``z [B, latent]`` -> a padded batch of decoded DAGs (see :meth:`DVAEDecoder.generate`)."""
        return self.decoder.generate(z, stochastic=stochastic, generator=generator)

    # --- conveniences over ArchDAG lists ----------------------------------------------------
    @torch.no_grad()
    def embed(self, dags: Sequence[ArchDAG], batch_size: int = 4096) -> torch.Tensor:
        """Posterior means ``[len(dags), latent]`` (on the model's device)."""
        was_training = self.training
        self.eval()
        out = [self.encode(self.space.collate(dags[i:i + batch_size]).to(self.device))[0]
               for i in range(0, len(dags), batch_size)]
        self.train(was_training)
        return torch.cat(out) if out else torch.empty(0, self.config.latent, device=self.device)

    # --- persistence ----------------------------------------------------------------------
    def checkpoint_dict(self) -> dict[str, Any]:
        """Everything :meth:`from_checkpoint_dict` needs: plain values and tensors only (no pickle)."""
        return {**self.header(), "state_dict": self.state_dict()}

    def header(self) -> dict[str, Any]:
        """The model's description without weights: format, space, vocabulary and config."""
        return {"format": CHECKPOINT_FORMAT, "space": self.space.name, "vocab": list(self.space.vocab),
                "max_nodes": self.space.max_nodes, "config": asdict(self.config)}

    def save(self, path: str | os.PathLike, dtype: torch.dtype | None = None) -> Path:
        """Write the weights as safetensors with the :meth:`header` as metadata (atomically).

        ``dtype`` (e.g. ``torch.float16``) stores floating-point weights at that precision;
        they are cast back to the model's precision on load.
        """
        path = Path(path)
        broken = [name for name, t in self.state_dict().items() if t.is_floating_point() and not torch.isfinite(t).all()]
        if broken:  # a model file is a promise that the weights can be used
            raise CheckpointError(f"refusing to write {path}: {len(broken)} weight tensors hold NaN or inf "
                                  f"(first: {broken[0]}); the training that made them diverged")
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        write_weights(self.state_dict(), self.header(), tmp, dtype)
        os.replace(tmp, path)
        return path

    @classmethod
    def from_checkpoint_dict(cls, ckpt: dict[str, Any], space: SearchSpace | str | None = None,
                             source: str = "<checkpoint>") -> "GraphVAE":
        if not isinstance(ckpt, dict) or ckpt.get("format") != CHECKPOINT_FORMAT:
            raise CheckpointError(f"{source}: not a naslib_oe GraphVAE checkpoint (format {CHECKPOINT_FORMAT})")
        if isinstance(space, str):
            space = get_space(space)
        if space is None:
            space = get_space(ckpt["space"])
        if space.name != ckpt["space"]:
            raise CheckpointError(f"{source}: the model was trained on the {ckpt['space']} space, "
                                  f"not on {space.name}; train one for {space.name} or pass the matching config")
        if list(space.vocab) != ckpt["vocab"] or space.max_nodes != ckpt["max_nodes"]:
            raise CheckpointError(f"{source}: operation vocabulary {ckpt['vocab']} (max {ckpt['max_nodes']} vertices) "
                                  f"does not match the space's {list(space.vocab)} (max {space.max_nodes})")
        model = cls(space, VAEConfig.from_dict(ckpt["config"]))
        try:
            model.load_state_dict(ckpt["state_dict"])
        except RuntimeError as err:  # missing keys or size mismatches: a file that disagrees with its own header
            raise CheckpointError(f"{source}: the weights do not fit the model its header describes: {err}") from None
        return model

    @classmethod
    def load(cls, path: str | os.PathLike, space: SearchSpace | str | None = None,
             map_location: str | torch.device = "cpu") -> "GraphVAE":
        """Load a model file, a training state or a ``zoo:<name>``; never unpickles code.

        Fails with :class:`~naslib_oe.errors.CheckpointError` when the file is missing,
        corrupt, unsafe, or belongs to another space or vocabulary.
        """
        source = str(path)
        ckpt = read_checkpoint(path)
        return cls.from_checkpoint_dict(ckpt, space, source=source).to(map_location)
