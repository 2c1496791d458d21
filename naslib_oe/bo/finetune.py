"""A representation refit on labelled architectures: a deep-kernel GP over the VAE's encoder.

The pretrained VAE is fit to reconstruct and never told which architectures are good. Here its
input map (the operation-embedding table, optionally also the latent head ``to_mu``) is refit,
jointly with a GP's hyperparameters, by the exact marginal likelihood of the labelled points:
the GP's inputs are the encoder's posterior means, so the gradient of the likelihood reaches
the operation vectors through the encoder (a deep kernel, Wilson et al. 2016).

Ten labelled points cannot be allowed to wreck a representation learned from thousands of
cells, so the refit is held near the pretrained weights: an L2 pull of weight ``penalty`` per
parameter, and few Adam steps. The VAE passed in is never modified: :func:`refit_encoder`
returns a tuned copy to embed with. Its decoder shares the refit table, so decode with the
original VAE (as :class:`~naslib_oe.bo.LatentBO` does).
"""
from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass
from typing import Literal, Sequence

import torch
from botorch.exceptions.errors import ModelFittingError
from botorch.exceptions.warnings import OptimizationWarning
from botorch.fit import fit_gpytorch_mll
from botorch.models import SingleTaskGP
from gpytorch.mlls import ExactMarginalLogLikelihood

from naslib_oe.bo.surrogate import KERNELS, GPSettings
from naslib_oe.errors import ConfigError
from naslib_oe.models import GraphVAE
from naslib_oe.spaces import ArchDAG
from naslib_oe.utils import dataclass_from_dict

#: what a refit may change: nothing, the operation-embedding table, or the table and the latent head
FINETUNE_PARAMS = ("none", "embedding", "embedding+head")


@dataclass
class FinetuneSettings:
    """``bo.finetune`` (and ``OEPredictor(finetune=...)``): how the input map is refit."""

    params: Literal["none", "embedding", "embedding+head"] = "none"
    steps: int = 100          # Adam steps on the negative marginal log likelihood (+ penalty) per refit
    lr: float = 0.03
    penalty: float = 1e-3     # L2 pull towards the pretrained weights, per parameter
    warm_start: bool = True   # a search's rounds continue from the previous round's refit
    max_points: int = 1000    # labelled points the refit sees at most (observations first, then a seeded prior subset)
    min_points: int = 5       # fewer labelled points than this: no refit yet

    def __post_init__(self) -> None:
        if self.params not in FINETUNE_PARAMS:
            raise ConfigError(f"finetune.params must be one of {FINETUNE_PARAMS}, not {self.params!r}")
        if self.steps < 1 or not self.lr > 0 or self.penalty < 0 or self.max_points < 2 or self.min_points < 2:
            raise ConfigError("finetune.steps must be >= 1, lr > 0, penalty >= 0, max_points and min_points >= 2 "
                              f"(got {self.steps}, {self.lr}, {self.penalty}, {self.max_points}, {self.min_points})")

    @classmethod
    def from_value(cls, value: "FinetuneSettings | dict | str | None") -> "FinetuneSettings":
        """A settings object from a dict, or from a bare ``params`` name (``finetune: embedding``)."""
        if isinstance(value, FinetuneSettings):
            return value
        if value is None or isinstance(value, str):
            return cls(params=value or "none")
        return dataclass_from_dict(cls, value, "finetune settings")

    @property
    def enabled(self) -> bool:
        return self.params != "none"


def tuned_parameters(vae: GraphVAE, params: str) -> list[torch.nn.Parameter]:
    """The parameters of ``vae`` a refit of kind ``params`` changes.

    A one-hot VAE's table is refit as well: it starts at the identity (the ablation's "one-hot start")."""
    out = [vae.embedding.table.weight]
    if params == "embedding+head":
        out += list(vae.to_mu.parameters())
    return out


def refit_encoder(vae: GraphVAE, dags: Sequence[ArchDAG], y: torch.Tensor, settings: FinetuneSettings,
                  gp: GPSettings | None = None, seed: int = 0, warm_start: GraphVAE | None = None) -> GraphVAE:
    """A copy of ``vae`` whose input map maximises the exact marginal likelihood of ``y``.

    Args:
        dags: the labelled architectures (at most ``settings.max_points``; the caller picks).
        y: ``[n]`` their targets (any monotone transform the GP is fit on; standardised here).
        gp: the kernel (``gp.kernel``) and first fit (``gp.max_iter`` L-BFGS iterations) of the
            exact GP refit alongside.
        seed: fixes the GP's first fit; the refit is then deterministic.
        warm_start: an earlier refit of ``vae`` to continue from (a search's previous round), so
            that steps add up over rounds; the pull is still towards ``vae``'s weights.

    Returns a tuned copy in eval mode, with no parameter requiring grad; ``vae`` is untouched.
    """
    gp = gp or GPSettings()
    tuned = copy.deepcopy(warm_start or vae).eval()
    tuned.requires_grad_(False)
    params = tuned_parameters(tuned, settings.params)
    for p in params:
        p.requires_grad_(True)
    start = [p.detach().clone() for p in tuned_parameters(vae, settings.params)]
    batch = vae.space.collate(list(dags)).to(vae.device)
    targets = y.detach().double().reshape(-1).to(vae.device)
    targets = (targets - targets.mean()) / targets.std().clamp_min(1e-9)
    with torch.no_grad():
        z0 = tuned.encode(batch)[0].double()
    # the unit-cube scaling of the latents this refit starts from stays fixed: a learned one could
    # shrink the inputs to win likelihood without changing the representation
    low, span = z0.min(0).values, (z0.max(0).values - z0.min(0).values).clamp_min(1e-6)
    model = SingleTaskGP((z0 - low) / span, targets[:, None], covar_module=KERNELS[gp.kernel](z0.shape[-1]))
    mll = ExactMarginalLogLikelihood(model.likelihood, model)
    with torch.random.fork_rng(devices=[]), torch.enable_grad(), warnings.catch_warnings():
        torch.manual_seed(seed)  # BoTorch's restarts draw from the global RNG: a function of seed alone
        warnings.simplefilter("ignore", OptimizationWarning)
        try:  # hyperparameters first, on the pretrained latents, then jointly with the input map
            fit_gpytorch_mll(mll, optimizer_kwargs={"options": {"maxiter": gp.max_iter}})
        except ModelFittingError:
            pass  # the joint steps below start from the prior's hyperparameters instead
    optimizer = torch.optim.Adam([{"params": params}, {"params": model.parameters()}], lr=settings.lr)
    model.train()
    with torch.enable_grad():
        for _ in range(settings.steps):
            optimizer.zero_grad()
            x = (tuned.encode(batch)[0].double() - low) / span  # [n, latent]
            model.set_train_data(x, targets, strict=False)
            pull = sum(((p - p0) ** 2).sum() for p, p0 in zip(params, start))
            loss = -mll(model(x), targets) + settings.penalty * pull
            loss.backward()
            optimizer.step()
            _project(model)
    tuned.requires_grad_(False)
    return tuned


@torch.no_grad()
def _project(model: torch.nn.Module) -> None:
    """Clamp the hyperparameters whose constraints are bounds, not transforms (BoTorch's
    lengthscale floor): L-BFGS-B respects them, Adam steps do not."""
    for _, param, constraint in model.named_parameters_and_constraints():
        if constraint is not None and not constraint.enforced:
            param.clamp_(constraint.lower_bound.to(param), constraint.upper_bound.to(param))
