"""The steps a config drives: get a trained VAE, evaluate it, and run latent BO.

``naslib-oe train/evaluate/search``, ``examples/run_enas.py`` and the ``OEDVAE`` optimizer
all go through these functions, so that a config means the same thing everywhere.
"""
from __future__ import annotations

import functools
import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Sequence

from naslib_oe import zoo
from naslib_oe.benchmarks import TabularBenchmark, load_benchmark
from naslib_oe.benchmarks.evaluators import check_budget
from naslib_oe.bo import BOSettings, SearchResult, predictive_performance, run_search
from naslib_oe.bo.finetune import FinetuneSettings
from naslib_oe.config import OESettings, RunConfig, parse_config
from naslib_oe.errors import CheckpointError, ConfigError
from naslib_oe.metrics import evaluate_vae
from naslib_oe.models import GraphVAE
from naslib_oe.problem import Problem, build_problem
from naslib_oe.training import FINAL_MODEL, VAEData, fit_vae, resolve_device, vae_data
from naslib_oe.utils import read_jsonl, writable_dir


@dataclass
class Setup:
    """A config resolved into the objects every step needs."""

    run: RunConfig
    bench: TabularBenchmark

    @property
    def settings(self) -> OESettings:
        return self.run.settings

    @functools.cached_property
    def data(self) -> VAEData:
        """The VAE's train and test split (:func:`~naslib_oe.training.vae_data`), made on first use:
        ``search`` needs none, and sampling NB101 cells takes a minute."""
        return vae_data(self.bench, seed=0, sampled_cells=self.settings.train.sampled_cells,
                        distinct=self.settings.train.sampled_distinct)

    @property
    def model_path(self) -> str | Path:
        """The checkpoint to use: ``search.oe_dvae.checkpoint`` (a path or ``zoo:<name>``), else the run folder's model."""
        ckpt = self.settings.checkpoint
        if ckpt and zoo.is_zoo_name(ckpt):
            return ckpt
        return Path(ckpt or self.run.vae_dir / FINAL_MODEL)

    @property
    def output_dir(self) -> Path:
        """Where results about the model go: beside a checkpoint file, or the run folder for a zoo model."""
        path = self.model_path
        return self.run.vae_dir if isinstance(path, str) else path.parent


def setup(config: str | Path | None, overrides: list[str] | tuple[str, ...] = ()) -> Setup:
    """The config file with ``overrides``, parsed once (:func:`~naslib_oe.config.parse_config`), and its benchmark."""
    run = parse_config(config, overrides)
    return Setup(run, load_benchmark(run.space, run.settings.data_path))


def train(s: Setup, out: Path | None = None, resume: bool = False, progress: bool = True) -> GraphVAE:
    """Train the configured VAE on the training split and save it to ``out`` (or the run folder)."""
    out = writable_dir(out or s.run.vae_dir)
    print(f"training {s.settings.model.op_embedding}-embedding {s.settings.model.encoder} VAE on "
          f"{len(s.data.train)} {s.bench.space.name} graphs for {s.settings.train.epochs} epochs -> {out}")
    return fit_vae(s.bench.space, s.data.train, s.settings.model, s.settings.train, out_dir=out, resume=resume,
                   progress=progress)


def load_vae(s: Setup, path: str | Path | None = None) -> GraphVAE:
    """The VAE at ``path`` (a file or ``zoo:<name>``; default :attr:`Setup.model_path`) for the config's space."""
    path = path or s.model_path
    if not zoo.is_zoo_name(path) and not Path(path).is_file():
        raise CheckpointError(f"no trained model at {path}: run `naslib-oe train` with this config first, set "
                              f"search.oe_dvae.checkpoint, or use a shipped model ({', '.join(zoo.PREFIX + n for n in zoo.available()) or 'none yet'})")
    return GraphVAE.load(path, s.bench.space, map_location=resolve_device(s.settings.train.device))


def evaluate(s: Setup, model: GraphVAE, predictive: bool = True, progress: bool = True) -> dict[str, Any]:
    """D-VAE-protocol VAE metrics and (where the table has accuracies) predictive metrics."""
    metrics = evaluate_vae(model, s.data.train, s.data.test, seed=s.run.seed, progress=progress,
                           **asdict(s.settings.eval))
    print(metrics.table())
    out: dict[str, Any] = {"vae": metrics.as_dict()}
    if predictive and s.settings.predictive_seeds > 0:
        table = s.data.predictive
        pred = predictive_performance(model, table.train, table.train_y, table.test, table.test_y,
                                      seeds=s.settings.predictive_seeds, gp=s.settings.bo.gp, progress=progress)
        print(pred.table())
        out["predictive"] = pred.as_dict()
    return out


def configured_problem(s: Setup, store: Path | None = None) -> Problem:
    """The search problem of the config (:func:`naslib_oe.problem.build_problem`): its evaluator
    (a surrogate is fit once from the config's seed and kept in ``store``) and its prior."""
    settings = s.settings
    problem = build_problem(s.bench, settings.evaluator, s.run.dataset, seed=s.run.seed,
                            use_prior=settings.bo.use_prior, store=store)
    if problem.evaluator_quality is not None:
        print(problem.evaluator_quality)
    print(f"prior: {problem.prior_note}")
    return problem


def search(s: Setup, model: GraphVAE, out_dir: Path, seed: int | None = None, bo: BOSettings | None = None,
           problem: Problem | None = None, progress: bool = True,
           resume: bool = False) -> tuple[SearchResult, dict[str, Any]]:
    """Run latent BO as configured; logs every query to ``out_dir/trajectory.jsonl``.

    ``problem`` defaults to :func:`configured_problem` with ``out_dir`` as its store; pass one
    to share a fitted surrogate. With ``resume``, the queries already in the log are replayed
    (see :func:`~naslib_oe.bo.run_search`) and the search goes on from there. Returns the
    result and a summary dict (also written as ``out_dir/search.json``).
    """
    bo = bo or s.settings.bo
    seed = s.run.seed if seed is None else seed
    check_budget(s.bench, s.settings.evaluator, bo.budget, "search.oe_dvae.bo.budget")
    problem = problem or configured_problem(s, store=out_dir)
    evaluator, quality = problem.evaluator, problem.evaluator_quality
    writable_dir(out_dir)
    log = out_dir / "trajectory.jsonl"
    replay = read_jsonl(log) if resume and log.is_file() else []
    if replay:
        print(f"resuming the search: {len(replay)} logged queries are replayed from {log}")
        log.write_text("".join(json.dumps(r) + "\n" for r in replay))  # drops a line cut by a kill
    else:
        log.unlink(missing_ok=True)  # a search run is one trajectory
    result = run_search(model, evaluator, bo, seed=seed, prior=problem.prior, log_path=log, progress=progress,
                        replay=replay)
    best = result.best
    summary = {
        "config": s.run.raw, "evaluator": repr(evaluator), "prior": problem.prior_note, "bo": asdict(bo), "seed": seed,
        "surrogate_quality": asdict(quality) if quality is not None else None,
        "queries": len(result.records), "surrogate_queries": result.n_surrogate,
        "best": best.as_dict(), "best_by_round": result.best_by_round(),
    }
    (out_dir / "search.json").write_text(json.dumps(summary, indent=2, default=str))
    flag = " (surrogate prediction)" if best.surrogate else ""
    print(f"best of {len(result.records)} queries: {best.val_acc:.2f} %{flag}  {best.arch}")
    if result.n_surrogate:
        print(f"{result.n_surrogate} of {len(result.records)} values came from the surrogate (surrogate: true in the log)")
    return result, summary


#: predictors `naslib-oe predictors` knows; with NASLib also ``naslib-<name>`` for NASLib's
#: gcn, bonas, xgb, mlp (path encoding) and gp
#: ``oe_ft`` / ``dvae_ft``: the same VAEs with the input map refit on each training set
#: (``bo.finetune`` of the config, or by default the embedding table and latent head, 100 steps)
PREDICTORS = ("oe", "dvae", "oe_ft", "dvae_ft", "adj_gp", "adj_gbt")
NASLIB_PREDICTOR_PREFIX = "naslib-"


def comparison_vae(s: Setup, op_embedding: str, checkpoint: str | Path | None, progress: bool = True) -> GraphVAE:
    """The VAE behind the ``oe`` (learned) or ``dvae`` (one-hot) predictor: a checkpoint, which
    must have that embedding, or one trained here without labels on the table's architectures."""
    if checkpoint:
        vae = GraphVAE.load(checkpoint, s.bench.space, map_location=resolve_device(s.settings.train.device))
        if vae.config.op_embedding != op_embedding:
            raise CheckpointError(f"{checkpoint} has {vae.config.op_embedding} operation embeddings; the "
                             f"{'oe' if op_embedding == 'learned' else 'dvae'} predictor needs {op_embedding}")
        return vae
    print(f"training a {op_embedding}-embedding VAE on {len(s.bench)} {s.bench.space.name} architectures "
          f"(no accuracies) for {s.settings.train.epochs} epochs")
    return fit_vae(s.bench.space, s.bench.dags, replace(s.settings.model, op_embedding=op_embedding),
                   s.settings.train, progress=progress)


def predictor_comparison(s: Setup, names: Sequence[str], train_sizes: Sequence[int], seeds: int, out_dir: Path,
                         test_size: int = 1000, head: str = "gp", checkpoints: dict[str, str | None] | None = None,
                         progress: bool = True) -> list[dict[str, Any]]:
    """Predictors x training sizes x seeds on the config's table (validation accuracy) and one
    fixed test set; writes ``scores.csv``, ``summary.md`` and ``predictors.png`` to ``out_dir``."""
    from naslib_oe.benchmarks import Metric
    from naslib_oe.predictors import AdjacencyPredictor, AdjacencyTreesPredictor, OEPredictor
    from naslib_oe.predictors.comparison import (METRICS, best_per_size, compare_predictors, markdown_table,
                                                 plot_scores, summarize, write_csv)

    from naslib_oe.naslib.predictors import NASLIB_PREDICTORS

    naslib_names = [NASLIB_PREDICTOR_PREFIX + n for n in NASLIB_PREDICTORS]
    unknown = [n for n in names if n not in PREDICTORS and n not in naslib_names]
    if unknown:
        raise ConfigError(f"unknown predictors {unknown}; expected some of {list(PREDICTORS) + naslib_names}")
    checkpoints = checkpoints or {}
    space, dataset = s.bench.space, s.run.dataset
    y = s.bench.column(Metric.VAL_ACCURACY, s.bench.resolve_dataset(dataset))
    factories, vaes = {}, {}
    tune = s.settings.bo.finetune if s.settings.bo.finetune.enabled else FinetuneSettings(params="embedding+head")
    for name in names:
        if name in ("oe", "dvae", "oe_ft", "dvae_ft"):
            base = name.removesuffix("_ft")
            if base not in vaes:  # oe and oe_ft share one VAE
                embedding = "learned" if base == "oe" else "onehot"
                vaes[base] = comparison_vae(s, embedding, checkpoints.get(base), progress)
            finetune = tune if name.endswith("_ft") else None
            factories[name] = lambda seed, vae=vaes[base], ft=finetune: OEPredictor(vae, head=head, seed=seed,
                                                                                     finetune=ft)
        elif name == "adj_gp":
            factories[name] = lambda seed: AdjacencyPredictor(space, head="gp", seed=seed)
        elif name == "adj_gbt":
            factories[name] = lambda seed: AdjacencyTreesPredictor(space, seed=seed)
        else:
            from naslib_oe.naslib.predictors import NASLibPredictor

            factories[name] = lambda seed, n=name[len(NASLIB_PREDICTOR_PREFIX):]: NASLibPredictor(n, space, seed)
    scores = compare_predictors(s.bench.dags, y, factories, train_sizes, range(seeds), test_size=test_size,
                                progress=progress)
    summary = summarize(scores)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_csv(scores, out_dir / "scores.csv")
    plot_scores(summary, out_dir / "predictors.png")
    title = (f"# Predictors on {space.name} / {dataset}: validation accuracy, {test_size} test architectures, "
             f"{seeds} seeds, mean ± std (best in bold)\n")
    parts = [title] + [f"## {m}\n\n{markdown_table(summary, m)}\n" for m in METRICS]
    parts.append("best by Kendall tau: " + ", ".join(f"n={n}: {p}" for n, p in best_per_size(summary).items()))
    text = "\n".join(parts) + "\n"
    (out_dir / "summary.md").write_text(text)
    print(text)
    print(f"wrote {out_dir / 'scores.csv'}, {out_dir / 'summary.md'} and {out_dir / 'predictors.png'}")
    return summary
