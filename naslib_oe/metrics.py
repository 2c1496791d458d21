"""The D-VAE evaluation protocol for graph VAEs (DESIGN.md section 5).

* Reconstruction accuracy: each test graph is encoded ``encode_times`` times (sampled z)
  and each z decoded ``decode_times`` times (stochastic decoding); the share of exact
  matches (same operations and edges, vertex by vertex). Given z, the decodes are
  independent and each matches with probability ``p(G | z)``, which one teacher-forced
  pass computes exactly (:meth:`~naslib_oe.models.DVAEDecoder.generation_log_prob`). The
  default ``method="likelihood"`` therefore draws the number of matches among the
  ``decode_times`` decodes from Binomial(decode_times, p(G | z)): the same distribution as
  decoding, for about a tenth of the work. ``method="decode"`` decodes literally.
* Reconstruction at the posterior mean: D-VAE's code samples z only in training (its
  ``reparameterize`` returns the mean ``mu`` in evaluation mode), so its published
  reconstruction decodes ``mu``. :func:`reconstruction_at_mean` gives that protocol's
  expected score exactly: the mean over test graphs of ``p(G | mu)``.
* Validity, uniqueness, novelty: ``n_points`` latent points from N(0, I), scaled to the
  mean and std of the training latents (posterior means), each decoded ``decode_times``
  times. Validity is the share of decodes that are members of the space; uniqueness the
  share of distinct architectures among the valid decodes; novelty the share of valid
  decodes that are not in the training set. Identity is the space's hash.

The ratio helpers are plain functions, so they can be checked on hand-made cases.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Iterable, Sequence

import torch
from tqdm.auto import tqdm

from naslib_oe.errors import ConfigError
from naslib_oe.models import GraphVAE
from naslib_oe.spaces import ArchDAG, DAGBatch, SearchSpace


def exact_matches(a: DAGBatch, b: DAGBatch) -> torch.Tensor:
    """``[B]`` bool: graph *i* of ``a`` equals graph *i* of ``b`` (padded tensors compared)."""
    return (a.n_nodes == b.n_nodes) & (a.ops == b.ops).all(1) & (a.adj == b.adj).flatten(1).all(1)


def validity(dags: Sequence[ArchDAG], space: SearchSpace) -> tuple[float, list[ArchDAG]]:
    """Share of ``dags`` that are valid members of ``space``, and those valid ones."""
    valid = [d for d in dags if space.is_valid(d)]
    return (len(valid) / len(dags) if dags else 0.0), valid


def uniqueness(valid: Sequence[ArchDAG], space: SearchSpace) -> float:
    """Distinct architectures (by ``space.hash``) per valid decode; 0 when none is valid."""
    return len({space.hash(d) for d in valid}) / len(valid) if valid else 0.0


def novelty(valid: Sequence[ArchDAG], train_hashes: Iterable[str], space: SearchSpace) -> float:
    """Share of valid decodes that are not in the training set; 0 when none is valid."""
    seen = set(train_hashes)
    return sum(space.hash(d) not in seen for d in valid) / len(valid) if valid else 0.0


RECONSTRUCTION_METHODS = ("likelihood", "decode")


@torch.no_grad()
def reconstruction_accuracy(model: GraphVAE, dags: Sequence[ArchDAG], encode_times: int = 10,
                            decode_times: int = 10, batch_size: int = 256, seed: int = 0,
                            progress: bool = False, method: str = "likelihood") -> float:
    """D-VAE's reconstruction accuracy of ``dags`` (stochastic encode and decode; see the module docstring)."""
    if method not in RECONSTRUCTION_METHODS:
        raise ConfigError(f"reconstruction method must be one of {RECONSTRUCTION_METHODS}, not {method!r}")
    model.eval()
    gen = torch.Generator(device=model.device)
    gen.manual_seed(seed)
    hits = torch.zeros((), dtype=torch.long, device=model.device)
    steps = range(0, len(dags), batch_size)
    for i in tqdm(steps, desc="reconstruction", disable=not progress, unit="batch"):
        batch = model.space.collate(dags[i:i + batch_size]).to(model.device)
        mu, logvar = model.encode(batch)
        for _ in range(encode_times):
            z = model.reparameterize(mu, logvar, gen)
            if method == "likelihood":
                p_match = model.decoder.generation_log_prob(z, batch).exp()
                hits += torch.binomial(torch.full_like(p_match, decode_times), p_match, generator=gen).sum().long()
                continue
            for _ in range(decode_times):
                hits += exact_matches(model.decode(z, stochastic=True, generator=gen), batch).sum()
    return hits.item() / (len(dags) * encode_times * decode_times)


@torch.no_grad()
def reconstruction_at_mean(model: GraphVAE, dags: Sequence[ArchDAG], batch_size: int = 256) -> float:
    """Expected reconstruction accuracy when each graph is encoded to its posterior mean ``mu``
    (D-VAE's evaluation): the mean over ``dags`` of ``p(G | mu)``, the chance that one
    stochastic decode of ``mu`` returns ``G`` exactly."""
    model.eval()
    total = 0.0
    for i in range(0, len(dags), batch_size):
        batch = model.space.collate(dags[i:i + batch_size]).to(model.device)
        total += model.decoder.generation_log_prob(model.encode(batch)[0], batch).exp().sum().item()
    return total / len(dags)


@torch.no_grad()
def prior_decodes(model: GraphVAE, train_latents: torch.Tensor, n_points: int = 1000, decode_times: int = 10,
                  seed: int = 0) -> list[ArchDAG]:
    """Decodes of ``n_points`` prior samples scaled to the training latents, ``decode_times`` each."""
    model.eval()
    gen = torch.Generator(device=model.device)
    gen.manual_seed(seed)
    mean, std = train_latents.mean(0), train_latents.std(0)
    z = torch.randn(n_points, mean.shape[0], generator=gen, device=model.device) * std + mean
    decoded = model.decode(z.repeat(decode_times, 1), stochastic=True, generator=gen)
    return decoded.to_dags()


@dataclass
class VAEMetrics:
    """The D-VAE protocol's four ratios, with the counts behind them."""

    reconstruction: float  # share of exact matches over test graphs x encodes x decodes
    validity: float        # share of valid prior decodes
    uniqueness: float      # distinct architectures per valid prior decode
    novelty: float         # valid prior decodes not in the training set, per valid decode
    n_test: int            # test graphs behind the reconstruction accuracy
    n_prior_decodes: int   # decodes behind validity, uniqueness and novelty: n_points x decode_times
    reconstruction_at_mean: float | None = None  # the same with z = mu, as D-VAE's code evaluates

    def as_dict(self) -> dict[str, float]:
        return asdict(self)

    def table(self) -> str:
        rows = [("reconstruction accuracy", self.reconstruction)]
        if self.reconstruction_at_mean is not None:
            rows.append(("  at the posterior mean", self.reconstruction_at_mean))
        rows += [("validity", self.validity), ("uniqueness", self.uniqueness), ("novelty", self.novelty)]
        return "\n".join(f"{name:<24} {100 * value:7.2f} %" for name, value in rows)


def evaluate_vae(model: GraphVAE, train: Sequence[ArchDAG], test: Sequence[ArchDAG], encode_times: int = 10,
                 decode_times: int = 10, n_points: int = 1000, seed: int = 0, progress: bool = True,
                 reconstruction: str = "likelihood") -> VAEMetrics:
    """The full protocol: reconstruction on ``test``; validity/uniqueness/novelty vs ``train``.

    ``reconstruction`` is :func:`reconstruction_accuracy`'s ``method``.
    """
    space = model.space
    recon = reconstruction_accuracy(model, test, encode_times, decode_times, seed=seed, progress=progress,
                                    method=reconstruction)
    decodes = prior_decodes(model, model.embed(train), n_points, decode_times, seed=seed)
    valid_ratio, valid = validity(decodes, space)
    return VAEMetrics(recon, valid_ratio, uniqueness(valid, space),
                      novelty(valid, (space.hash(d) for d in train), space), len(test), len(decodes),
                      reconstruction_at_mean(model, test))
