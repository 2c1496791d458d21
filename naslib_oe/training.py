"""Fitting a :class:`~naslib_oe.models.GraphVAE`: mini-batches, checkpoints and resume.

Every source of randomness is derived from ``(seed, epoch)``: the batch order and the
reparameterisation noise of epoch *e* do not depend on what ran before. A run resumed
from the checkpoint of epoch *e* therefore continues exactly as an uninterrupted run
(bit for bit on the CPU).
"""
from __future__ import annotations

import math
import os
import random
import time
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch
from tqdm.auto import tqdm

from naslib_oe.benchmarks import EnasBenchmark, Metric, TabularBenchmark
from naslib_oe.errors import CheckpointError, ConfigError, TrainingDivergedError
from naslib_oe.models import GraphVAE, LossTerms, VAEConfig
from naslib_oe.models.checkpoint import load_plain
from naslib_oe.spaces import ArchDAG, DAGBatch, SearchSpace
from naslib_oe.utils import dataclass_from_dict

TRAIN_STATE = "train_state.pt"
SCHEDULES = ("plateau", "cosine", "constant")
FINAL_MODEL = "model.safetensors"


#: Named training recipes: the values a recipe sets unless the config gives them explicitly.
#: ``paper`` is D-VAE's schedule as the paper ran it; ``fast`` reaches the paper's predictive
#: quality on a 2-core CPU in well under an hour (see docs/training.md's ablation table).
RECIPES: dict[str, dict[str, Any]] = {
    "fast": {"epochs": 8, "batch_size": 32, "lr": 1e-3, "schedule": "constant", "warmup_steps": 0,
             "final_lr": 0.0},
    "paper": {"epochs": 300, "batch_size": 32, "lr": 1e-4, "schedule": "plateau", "warmup_steps": 0,
              "final_lr": 0.0, "lr_factor": 0.1, "lr_patience": 10},
}

#: The model values a recipe sets unless the config's ``model`` section gives them: ``paper`` is
#: the seed code's DVAE-EMB (its train.py and D-VAE's models.py): training noise scaled by 0.01,
#: a 3-dimensional operation embedding and D-VAE's own decoder. docs/training.md lists them, and
#: a test holds the two equal.
RECIPE_MODELS: dict[str, dict[str, Any]] = {
    "fast": {},
    "paper": {"eps_scale": 0.01, "op_embedding_dim": 3, "positions": False, "latent_skip": False, "beta": 0.005,
              "hidden": 501, "latent": 56, "bidirectional": True, "encoder": "dvae"},
}


@dataclass
class TrainConfig:
    """Training settings (``search.oe_dvae.train``). Defaults are the ``fast`` recipe.

    ``recipe`` names a preset (:data:`RECIPES`); :meth:`from_dict` fills in its values for
    every key the config does not set, so ``recipe: paper`` alone is D-VAE's schedule.
    """

    recipe: str = "fast"
    epochs: int = 8
    batch_size: int = 32
    lr: float = 1e-3
    schedule: str = "constant"  # plateau (D-VAE) | cosine | constant; see make_scheduler
    warmup_steps: int = 0       # linear warm-up from lr/100 (cosine and constant)
    final_lr: float = 0.0       # cosine: the learning rate at the last step
    lr_factor: float = 0.1      # plateau: ReduceLROnPlateau on the epoch's training loss
    lr_patience: int = 10
    seed: int = 0
    checkpoint_every: int = 1   # epochs; the last epoch is always saved
    device: str = "auto"        # auto | cpu | cuda
    sampled_cells: int = 0      # > 0: train on this many cells drawn by the codec's sampler (seeded), not the table
    sampled_distinct: bool = False  # sampled_cells counts distinct cells, each trained on once (no repeats)
    amp: bool = False           # bf16 autocast (CUDA only)
    compile: bool = False       # torch.compile the loss (CUDA only)

    def __post_init__(self) -> None:
        if self.sampled_cells < 0:
            raise ConfigError(f"train.sampled_cells must be >= 0, got {self.sampled_cells}")
        if self.epochs < 1 or self.batch_size < 1 or self.checkpoint_every < 1:
            raise ConfigError(f"train.epochs, batch_size and checkpoint_every must be >= 1 "
                             f"(got {self.epochs}, {self.batch_size}, {self.checkpoint_every})")
        if not self.lr > 0 or self.final_lr < 0 or self.warmup_steps < 0:
            raise ConfigError(f"train.lr must be > 0, final_lr >= 0 and warmup_steps >= 0 "
                             f"(got {self.lr}, {self.final_lr}, {self.warmup_steps})")
        if self.recipe not in RECIPES:
            raise ConfigError(f"train.recipe must be one of {sorted(RECIPES)}, not {self.recipe!r}")
        if self.schedule not in SCHEDULES:
            raise ConfigError(f"train.schedule must be one of {SCHEDULES}, not {self.schedule!r}")
        if self.device not in ("auto", "cpu") and not self.device.startswith("cuda"):
            raise ConfigError(f"train.device must be auto, cpu or cuda[:N], not {self.device!r}")

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "TrainConfig":
        preset = RECIPES.get(values.get("recipe", "fast"), {})  # an unknown name fails in __post_init__
        return dataclass_from_dict(cls, {**preset, **values}, "training settings")

    @classmethod
    def named(cls, recipe: str, **overrides: Any) -> "TrainConfig":
        """The recipe ``recipe`` with ``overrides`` on top, e.g. ``TrainConfig.named("paper", epochs=5)``."""
        return cls.from_dict({"recipe": recipe, **overrides})


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"train.device={name!r}, but CUDA is not available here; use device=auto or cpu")
    return torch.device(name)


class TrainStep:
    """One optimiser step of D-VAE's loss on a batch, honouring the ``amp`` and ``compile`` switches.

    The optimiser is D-VAE's Adam over the trainable parameters, fused into one kernel (its
    step runs 3x faster than the default one on the CPU). ``compile`` hands the loss to
    ``torch.compile``, which captures it as one graph (see ``test_loss_is_one_graph_for_torch_compile``)
    and fuses its elementwise kernels: a step is hundreds of small kernels on a GPU.
    """

    def __init__(self, model: GraphVAE, config: TrainConfig, device: torch.device):
        self.model = model
        self.optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=config.lr,
                                          fused=True)
        if (config.compile or config.amp) and device.type != "cuda":
            warnings.warn(f"train.compile and train.amp apply on CUDA only; training on {device} without them",
                          stacklevel=2)
        self.loss_fn = model.loss_with_noise
        if config.compile and device.type == "cuda":
            self.loss_fn = torch.compile(model.loss_with_noise, dynamic=False)
        self.use_amp = config.amp and device.type == "cuda"
        self.device = device
        self.finite = True  # whether the last call's loss was finite (a step was taken)

    def __call__(self, batch: DAGBatch, generator: torch.Generator) -> LossTerms:
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.use_amp):
            terms = self.loss_fn(batch, self.model.sample_noise(len(batch), generator))
        # one host sync per step, read by the caller too: no step from a NaN loss, so the weights
        # stay those of the last good step
        self.finite = bool(torch.isfinite(terms.total))
        if not self.finite:
            return terms
        self.optimizer.zero_grad(set_to_none=True)
        terms.total.backward()
        self.optimizer.step()
        return terms


def make_scheduler(optimizer: torch.optim.Optimizer, config: TrainConfig, steps_per_epoch: int):
    """The learning-rate schedule; ``plateau`` steps once per epoch, the others once per batch.

    ``cosine`` decays from ``lr`` to ``final_lr`` over all ``epochs * steps_per_epoch`` steps
    after a linear warm-up of ``warmup_steps`` (at most a tenth of the steps); ``constant``
    keeps ``lr`` after the warm-up.
    """
    if config.schedule == "plateau":
        return torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=config.lr_factor,
                                                          patience=config.lr_patience)
    steps = config.epochs * steps_per_epoch
    warmup = min(config.warmup_steps, steps // 10)  # a short run is not all warm-up
    total = max(1, steps - warmup)
    floor = config.final_lr / config.lr

    def factor(step: int) -> float:
        if step < warmup:
            return 0.01 + 0.99 * step / warmup
        if config.schedule == "constant":
            return 1.0
        progress = min(1.0, (step - warmup) / total)
        return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def epoch_generator(seed: int, epoch: int, device: torch.device) -> torch.Generator:
    """The random stream of one epoch, independent of earlier epochs."""
    g = torch.Generator(device=device)
    g.manual_seed(seed * 1_000_003 + epoch)
    return g


@dataclass
class VAEData:
    """What a VAE is trained and evaluated on: train and test architectures with their
    accuracies where the table has them. ``labelled`` is the table's own split for the
    predictive metrics when the VAE trains on sampled cells instead (then y is empty)."""

    train: list[ArchDAG]
    test: list[ArchDAG]
    train_y: list[float]
    test_y: list[float]
    labelled: "VAEData | None" = None

    @property
    def predictive(self) -> "VAEData":
        """The split with accuracies behind the predictive metrics."""
        return self.labelled or self


#: held-out sampled cells (reconstruction, validity, novelty) beside ``train.sampled_cells``
SAMPLED_TEST_CELLS = 2000
#: draws per asked-for training cell before distinct sampling gives up (NB101 needs about 11 for 30k)
MAX_DRAWS_PER_CELL = 50


def vae_data(bench: TabularBenchmark, seed: int = 0, metric: Metric = Metric.VAL_ACCURACY,
             sampled_cells: int = 0, test_cells: int = SAMPLED_TEST_CELLS, distinct: bool = False) -> VAEData:
    """The VAE's data for a table: D-VAE's split on ENAS; elsewhere a seeded 90/10 split.

    With ``sampled_cells`` > 0 the VAE is tested on ``test_cells`` distinct cells
    drawn by the space's own sampler and trains on that many further draws (seeded; repeats
    kept unless ``distinct``; no accuracy is used) that are none of them: NB101's 423k cells
    are not all in a table here. The table's split stays the
    :attr:`VAEData.labelled` one, for the predictive metrics."""
    if isinstance(bench, EnasBenchmark):
        train, test = bench.dvae_split(seed=seed)
        table = VAEData([r.dag for r in train], [r.dag for r in test], [r.accuracy for r in train],
                        [r.accuracy for r in test])
    else:
        rows = list(range(len(bench)))
        random.Random(seed).shuffle(rows)
        cut = int(0.9 * len(rows))
        y = bench.column(metric)
        table = VAEData([bench.dags[i] for i in rows[:cut]], [bench.dags[i] for i in rows[cut:]],
                        [float(y[i]) for i in rows[:cut]], [float(y[i]) for i in rows[cut:]])
    if not sampled_cells:
        return table
    space, rng = bench.space, np.random.default_rng(seed)
    # held out first: distinct cells as the sampler draws them; then training draws that avoid them.
    # NB101's recipe reaches few cells often (317k draws give 29k distinct cells): repeats spend
    # epochs on the common small cells, distinct draws spread them over more of the space
    test = space.sample_many(test_cells, rng)
    taken = {space.hash(d) for d in test}
    train: list[ArchDAG] = []
    draws = 0
    while len(train) < sampled_cells and draws < MAX_DRAWS_PER_CELL * sampled_cells:
        draws += 1
        dag = space.sample(rng)
        key = space.hash(dag)
        if key not in taken:
            train.append(dag)
            if distinct:
                taken.add(key)
    if len(train) < sampled_cells:
        raise ConfigError(f"{space.name}'s sampler gave {len(train)} distinct new cells in {draws} draws, "
                          f"short of train.sampled_cells {sampled_cells}; ask for fewer distinct cells")
    return VAEData(train, test, [], [], labelled=table)


def _diverged(epoch: int, step: int, terms: LossTerms, optimizer: torch.optim.Optimizer,
              state_path: Path | None) -> None:
    """Raise :class:`TrainingDivergedError` naming where, which term and what to try."""
    which = [name for name, value in zip(("recon", "kl"), terms[1:]) if not torch.isfinite(value)] or ["total"]
    kept = (f"the last good training state {state_path} is kept; --resume continues from it"
            if state_path is not None and state_path.is_file() else "no model file was written")
    raise TrainingDivergedError(
        f"training diverged at epoch {epoch + 1}, step {step + 1}: the {'/'.join(which)} loss is "
        f"{terms.total.item()} (lr {optimizer.param_groups[0]['lr']:.3g}); {kept}. Try a lower train.lr, "
        f"a warm-up (train.warmup_steps) or a smaller model.beta")


def _save_state(path: Path, model: GraphVAE, optimizer, scheduler, epoch: int, history: list, config: TrainConfig) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save({"model": model.checkpoint_dict(), "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(), "epoch": epoch, "history": history,
                "train_config": asdict(config)}, tmp)
    os.replace(tmp, path)  # never leave a half-written checkpoint


def load_train_state(path: Path, device: torch.device) -> dict[str, Any]:
    """A ``train_state.pt``, read with ``weights_only=True`` (tensors and plain values, never code)."""
    state = load_plain(path, device)
    missing = [k for k in ("model", "optimizer", "scheduler", "epoch", "history", "train_config")
               if not isinstance(state, dict) or k not in state]
    if missing:
        raise CheckpointError(f"{path}: not a naslib_oe training state (missing {missing})")
    return state


#: architectures sampled to pretrain a VAE on when there is no table of candidates
PRETRAIN_SAMPLES = 20_000


def fit_vae(space: SearchSpace, dags: Sequence[ArchDAG], model_config: VAEConfig, train_config: TrainConfig,
            out_dir: str | os.PathLike | None = None, resume: bool = False, progress: bool = True) -> GraphVAE:
    """A new :class:`GraphVAE` of ``model_config`` trained on ``dags``: the one way every entry
    point (``train``, ``compare``'s shared VAE, ``OEDVAE``, ``OEPredictor``, ``predictors``)
    makes a VAE, so that equal settings give equal weights. Seeded by ``train_config.seed``."""
    torch.manual_seed(train_config.seed)
    model = GraphVAE(space, model_config)
    train_vae(model, dags, train_config, out_dir=out_dir, resume=resume, progress=progress)
    return model


def train_vae(
    model: GraphVAE,
    dags: Sequence[ArchDAG],
    config: TrainConfig | None = None,
    out_dir: str | os.PathLike | None = None,
    resume: bool = False,
    progress: bool = True,
    on_batch: Callable[[int, int], None] | None = None,
) -> list[dict[str, float]]:
    """Train ``model`` on ``dags``; returns the per-epoch history.

    Args:
        out_dir: where ``train_state.pt`` (every ``checkpoint_every`` epochs) and the final
            ``model.safetensors`` go; None keeps nothing on disk.
        resume: continue from ``out_dir/train_state.pt`` (its settings must match).
        on_batch: called as ``on_batch(epoch, step)`` after each optimiser step; a true
            return value stops training there (nothing more is saved). Its time is not
            counted in the epoch's ``seconds``.
    """
    config = config or TrainConfig()
    device = resolve_device(config.device)
    model.to(device).train()
    data: DAGBatch = model.space.collate(list(dags)).to(device)
    train_step = TrainStep(model, config, device)
    optimizer = train_step.optimizer
    n = len(data)
    scheduler = make_scheduler(optimizer, config, steps_per_epoch=math.ceil(n / config.batch_size))
    per_batch = config.schedule != "plateau"
    history: list[dict[str, float]] = []
    start_epoch = 0
    state_path = Path(out_dir) / TRAIN_STATE if out_dir is not None else None
    if state_path is not None:
        state_path.parent.mkdir(parents=True, exist_ok=True)
    if resume:
        if state_path is None or not state_path.is_file():
            raise CheckpointError(f"--resume: no training state at {state_path}; start without --resume")
        state = load_train_state(state_path, device)
        # a key the saved state lacks was added later: it trained with that key's default
        saved = {k: v for k, v in {**asdict(TrainConfig()), **state["train_config"]}.items() if k != "epochs"}
        mine = {k: v for k, v in asdict(config).items() if k != "epochs"}
        if saved != mine:
            diff = {k: (saved.get(k), mine.get(k)) for k in mine if saved.get(k) != mine.get(k)}
            raise CheckpointError(f"{state_path}: cannot resume with different settings (saved, now): {diff}")
        if {**asdict(VAEConfig()), **state["model"]["config"]} != asdict(model.config):
            raise CheckpointError(f"{state_path}: was written by a model with settings {state['model']['config']}, "
                                  f"not {asdict(model.config)}; resume with the same model settings")
        model.load_state_dict(state["model"]["state_dict"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        history, start_epoch = state["history"], state["epoch"] + 1

    for epoch in range(start_epoch, config.epochs):
        gen = epoch_generator(config.seed, epoch, device)
        order = torch.randperm(n, generator=gen, device=device)
        sums = torch.zeros(3, device=device)  # total, recon, kl: summed on device, read once per epoch
        started = time.perf_counter()
        bar = tqdm(range(0, n, config.batch_size), desc=f"epoch {epoch + 1}/{config.epochs}",
                   disable=not progress, leave=False, unit="batch")
        for step, i in enumerate(bar):
            batch = data[order[i:i + config.batch_size]]
            terms = train_step(batch, gen)
            if not train_step.finite:  # stop before a NaN step reaches a checkpoint or model file
                _diverged(epoch, step, terms, optimizer, state_path)
            if per_batch:
                scheduler.step()
            sums += torch.stack([t.detach().float() for t in terms])
            if progress and step % 20 == 0:
                bar.set_postfix(loss=f"{terms.total.item() / len(batch):.3f}",
                                graphs_s=f"{(i + len(batch)) / (time.perf_counter() - started):.0f}")
            if on_batch is not None:
                paused = time.perf_counter()
                stop = on_batch(epoch, step)
                started += time.perf_counter() - paused  # the callback's time (e.g. evaluation) is not training time
                if stop:
                    return history  # the caller asked to stop (e.g. a time budget)
        total, recon, kl = (sums / n).tolist()
        if not per_batch:
            scheduler.step(total)
        record = {"epoch": epoch + 1, "loss": total, "recon": recon, "kl": kl,
                  "lr": optimizer.param_groups[0]["lr"], "seconds": time.perf_counter() - started}
        history.append(record)
        if progress:
            tqdm.write(f"epoch {epoch + 1}: loss {total:.4f} (recon {recon:.4f}, kl {kl:.3f}) "
                       f"lr {record['lr']:.1e}, {n / record['seconds']:.0f} graphs/s")
        last = epoch + 1 == config.epochs
        if state_path is not None and ((epoch + 1) % config.checkpoint_every == 0 or last):
            _save_state(state_path, model, optimizer, scheduler, epoch, history, config)
    if out_dir is not None:
        model.save(Path(out_dir) / FINAL_MODEL)
    return history
