"""GP surrogates on latent vectors.

Two kinds, both BoTorch ``SingleTaskGP`` models, so BoTorch's acquisition functions take them
as they are:

* ``sparse`` (D-VAE's choice): a variational inducing-point GP (SVGP; BoTorch's
  ``SingleTaskVariationalGP``) with ``num_inducing`` learned inducing points, trained on
  minibatches with Adam on GPyTorch's variational ELBO. Use it for the ENAS training-table
  prior (17,118 points); its cost grows linearly with the data.
* ``exact``: a full GP fit by L-BFGS on the exact marginal likelihood; best below a couple
  of thousand points (a search without a prior).
* ``auto`` (default): ``exact`` up to ``exact_max_points`` points, ``sparse`` above.

Inputs are normalised to the unit cube (BoTorch ``Normalize``) and targets standardised
(``Standardize``); predictions come back in the targets' units. When a fit or its predictions
fail numerically (a Cholesky error or NaNs), the fit is retried with ten times more jitter;
after ``max_attempts`` it raises :class:`SurrogateFitError` instead of returning garbage.
"""
from __future__ import annotations

import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator, Literal

import torch
from botorch.exceptions.errors import ModelFittingError
from botorch.exceptions.warnings import OptimizationWarning, UserInputWarning
from botorch.fit import fit_gpytorch_mll
from botorch.models import SingleTaskGP, SingleTaskVariationalGP
from botorch.models.model import Model
from botorch.models.transforms import Normalize, Standardize
from botorch.models.utils.gpytorch_modules import get_covar_module_with_dim_scaled_prior
from gpytorch.kernels import RBFKernel, ScaleKernel
from gpytorch.mlls import ExactMarginalLogLikelihood, VariationalELBO
from gpytorch.settings import cholesky_jitter
from linear_operator.utils.errors import NanError, NotPSDError
from linear_operator.utils.warnings import NumericalWarning

from naslib_oe.errors import ConfigError, NaslibOEError, NonFiniteError
from naslib_oe.utils import dataclass_from_dict


class SurrogateFitError(NaslibOEError, RuntimeError):
    """The GP could not be fit to the data, even with more jitter."""


@dataclass
class GPSettings:
    """How to build and fit the latent-space GP."""

    kind: Literal["auto", "sparse", "exact"] = "auto"
    exact_max_points: int = 1500  # ``auto`` switches to the sparse GP above this
    num_inducing: int = 500       # sparse: inducing points (capped at the number of points)
    steps: int = 200              # sparse: Adam steps (minibatches), whatever the data size
    batch_size: int = 2048        # sparse: minibatch size
    lr: float = 0.03              # sparse: Adam learning rate
    max_iter: int = 200           # exact: L-BFGS iterations
    jitter: float = 1e-6          # first Cholesky jitter; x10 per retry
    max_attempts: int = 3
    kernel: Literal["ard", "dim_scaled"] = "ard"  # see KERNELS

    def __post_init__(self) -> None:
        if self.kind not in ("auto", "sparse", "exact"):
            raise ConfigError(f"gp.kind must be 'auto', 'sparse' or 'exact', not {self.kind!r}")
        if self.kernel not in KERNELS:
            raise ConfigError(f"gp.kernel must be one of {sorted(KERNELS)}, not {self.kernel!r}")
        if min(self.num_inducing, self.max_attempts, self.steps, self.batch_size) < 1:
            raise ConfigError("gp.num_inducing, steps, batch_size and max_attempts must be positive")

    @classmethod
    def from_dict(cls, values: dict) -> "GPSettings":
        return dataclass_from_dict(cls, values, "gp settings")

    def kind_for(self, n_points: int) -> str:
        if self.kind != "auto":
            return self.kind
        return "exact" if n_points <= self.exact_max_points else "sparse"


#: ``ard``: a scaled RBF kernel with one free lengthscale per latent dimension (D-VAE's GP);
#: ``dim_scaled``: BoTorch's default RBF kernel, whose lengthscale prior grows with the square
#: root of the dimension (Hvarfner et al., 2024), so that 56 lengthscales fit from a few dozen points
KERNELS = {"ard": lambda dim: ScaleKernel(RBFKernel(ard_num_dims=dim)),
           "dim_scaled": lambda dim: get_covar_module_with_dim_scaled_prior(ard_num_dims=dim)}


def _fit_exact(x: torch.Tensor, y: torch.Tensor, settings: GPSettings) -> Model:
    model = SingleTaskGP(x, y, covar_module=KERNELS[settings.kernel](x.shape[-1]), input_transform=Normalize(d=x.shape[-1]),
                         outcome_transform=Standardize(m=1))
    with warnings.catch_warnings():
        # BoTorch re-emits each attempt's L-BFGS stop on a failed line search ("ABNORMAL") and retries
        # from new priors; failing every attempt raises ModelFittingError, which fit_gp retries with more
        # jitter. The notice itself tells the user nothing more
        warnings.filterwarnings("ignore", message=".*ABNORMAL", category=OptimizationWarning)
        fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model),
                         optimizer_kwargs={"options": {"maxiter": settings.max_iter}})
    return model


def _fit_sparse(x: torch.Tensor, y: torch.Tensor, settings: GPSettings, generator: torch.Generator) -> Model:
    normalize = Normalize(d=x.shape[-1])
    with torch.no_grad():
        unit_x = normalize(x)  # learns the bounds; the inducing points live in the unit cube
    pick = torch.randperm(len(x), generator=generator)[: min(settings.num_inducing, len(x))].to(x.device)
    with warnings.catch_warnings():
        # BoTorch warns that minibatches would re-learn the transforms; we train on the data
        # transformed once here (gp.train_inputs / train_targets), so they stay fixed
        warnings.filterwarnings("ignore", message="Using an (input|outcome) transform", category=UserInputWarning)
        model = SingleTaskVariationalGP(x, y, covar_module=KERNELS[settings.kernel](x.shape[-1]),
                                        inducing_points=unit_x[pick].clone(),
                                        input_transform=normalize, outcome_transform=Standardize(m=1))
    gp = model.model  # the GPyTorch ApproximateGP, fed with transformed data below
    train_x, train_y = gp.train_inputs[0], gp.train_targets
    elbo = VariationalELBO(model.likelihood, gp, num_data=len(train_x))
    optimizer = torch.optim.Adam(model.parameters(), lr=settings.lr)
    model.train()
    batches: list[torch.Tensor] = []
    for _ in range(settings.steps):
        if not batches:  # a new shuffled pass over the data
            batches = list(torch.randperm(len(train_x), generator=generator).to(x.device).split(settings.batch_size))
        rows = batches.pop()
        optimizer.zero_grad()
        loss = -elbo(gp(train_x[rows]), train_y[rows])
        loss.backward()
        optimizer.step()
    return model


def fit_gp(x: torch.Tensor, y: torch.Tensor, settings: GPSettings | None = None, seed: int = 0) -> Model:
    """Fit a GP to ``x [n, d]`` -> ``y [n]`` (or ``[n, 1]``) and return it in eval mode.

    ``seed`` fixes the sparse GP's initial inducing points and minibatch order. Raises
    :class:`SurrogateFitError` when every attempt fails, and ``ValueError`` on empty,
    mismatched or non-finite data.
    """
    settings = settings or GPSettings()
    y = y.reshape(-1, 1).to(x)
    if x.ndim != 2 or len(x) != len(y) or len(x) < 2:
        raise ValueError(f"fit_gp needs x [n, d] and y [n] with n >= 2; got {tuple(x.shape)} and {tuple(y.shape)}")
    if not (torch.isfinite(x).all() and torch.isfinite(y).all()):
        raise NonFiniteError(f"the GP cannot be fit: {int((~torch.isfinite(x)).any(-1).sum())} latents and "
                             f"{int((~torch.isfinite(y)).sum())} targets are NaN or inf")
    # float64: 500 inducing points or a few hundred close latents make float32 Choleskies fail
    x, y = x.double(), y.double()
    kind = settings.kind_for(len(x))
    jitter, errors = settings.jitter, []
    for attempt in range(settings.max_attempts):
        generator = torch.Generator().manual_seed(seed * 1000 + attempt)
        try:
            # GPyTorch draws the variational mean's initial noise, and BoTorch its restarts, from
            # the global RNG: seeding a fork of it makes the fit a function of ``seed`` alone, so a
            # resumed search proposes what the stopped one did (the caller's RNG is untouched)
            with torch.random.fork_rng(devices=[]), _jitter(jitter), torch.enable_grad():
                torch.manual_seed(seed * 1000 + attempt)
                model = _fit_exact(x, y, settings) if kind == "exact" else _fit_sparse(x, y, settings, generator)
                model.eval()
                with torch.no_grad():
                    check = model.posterior(x[: min(len(x), 256)]).mean
            if torch.isfinite(check).all():
                model.fit_jitter = jitter  # reused by later predictions
                return model
            errors.append(f"jitter {jitter:g}: NaN predictions")
        except (NotPSDError, NanError, ModelFittingError, torch.linalg.LinAlgError) as err:
            # numerical failures only: out-of-memory errors and shape bugs keep their traceback
            errors.append(f"jitter {jitter:g}: {type(err).__name__}: {str(err).splitlines()[0]}")
        jitter *= 10
    raise SurrogateFitError(f"the {kind} GP failed to fit {len(x)} points after "
                            f"{settings.max_attempts} attempts: " + "; ".join(errors))


@contextmanager
def _jitter(value: float) -> Iterator[None]:
    """Cholesky jitter ``value``; GPyTorch's note that it added more is expected here, not news."""
    with cholesky_jitter(float_value=value, double_value=value), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="A not p.d., added jitter", category=NumericalWarning)
        yield


def gp_jitter(model: Model):
    """The Cholesky-jitter context a fitted model's predictions need (its fit's jitter)."""
    return _jitter(getattr(model, "fit_jitter", 1e-6))


@torch.no_grad()
def predict(model: Model, x: torch.Tensor, batch_size: int = 4096) -> tuple[torch.Tensor, torch.Tensor]:
    """Posterior mean and variance ``[n]`` at ``x [n, d]``, in the targets' units."""
    means, variances = [], []
    with gp_jitter(model):
        for i in range(0, len(x), batch_size):
            post = model.posterior(x[i:i + batch_size].double())
            means.append(post.mean.squeeze(-1))
            variances.append(post.variance.squeeze(-1))
    mean, var = torch.cat(means), torch.cat(variances)
    if not torch.isfinite(mean).all():
        raise SurrogateFitError("the GP's predictions contain NaN; refit it with more jitter")
    return mean, var
