"""Optimizers × seeds on one benchmark, with one budget: the shared evaluation harness.

Every (optimizer, seed) trial drives an optimizer through the ``MetaOptimizer`` contract
(``adapt_search_space`` then one ``new_epoch`` per query) and logs each query as it happens
(:mod:`naslib_oe.harness.trajectory`). ``resume=True`` skips finished trials and continues a
half-done one: the trial is replayed from its seed (deterministic on a table), the logged
queries are checked against the replay instead of being queried into the log again, and
logging resumes after the last one, so no query is repeated or lost.

A run folder holds one experiment: ``run.json`` records its config, budget and package
versions, and a later call with another config or budget is refused. Trials run inline,
in a local process pool (``workers > 1``) or as Ray tasks (``backend="ray"``). A trial
that crashes is reported with its traceback and does not stop the others.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import functools
import importlib
import json
import os
import signal
import time
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from importlib import metadata
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Mapping, Sequence

import torch
from tqdm.auto import tqdm

from naslib_oe import naslib_compat
from naslib_oe.benchmarks import Metric, MetricNotAvailable, TabularBenchmark, load_benchmark
from naslib_oe.benchmarks.evaluators import check_budget
from naslib_oe.config import RunConfig
from naslib_oe.errors import ConfigError, RunFolderError
from naslib_oe.harness.lock import locked_run_dir
from naslib_oe.harness.runfile import RUN_FILE, read_run_file
from naslib_oe.harness.trajectory import TrajectoryRecord, TrajectoryWriter, read_trajectory, trial_paths
from naslib_oe.models.checkpoint import check_model_file
from naslib_oe.optimizers import build_optimizer, check_available, is_oe_dvae
from naslib_oe.problem import Problem, build_problem, problem_prior

PACKAGES = ("naslib_oe", "torch", "torch_geometric", "gpytorch", "botorch", "numpy", "scipy", "scikit-learn")


@dataclass(frozen=True)
class TrialSpec:
    """Everything a worker needs to run one trial (picklable)."""

    run_dir: str
    config: RunConfig
    optimizer: str
    seed: int
    budget: int
    resume: bool = False
    torch_threads: int | None = None
    plugins: tuple[str, ...] = ()  # modules registering the optimizer's family, imported first


@dataclass
class TrialOutcome:
    optimizer: str
    seed: int
    status: str                  # done | skipped | failed
    queries: int = 0
    error: str | None = None     # the traceback of a failed trial
    message: str | None = None   # a failed trial's error, in one line: its type and its own message


@dataclass
class CompareResult:
    run_dir: Path
    outcomes: list[TrialOutcome] = field(default_factory=list)

    @property
    def failed(self) -> list[TrialOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]


def package_versions() -> dict[str, str]:
    out = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    out["naslib"] = naslib_compat.provenance()  # a checkout on the path: no package metadata
    return out


@functools.lru_cache(maxsize=4)
def _benchmark(space: str, data_path: str | None) -> TabularBenchmark:
    return load_benchmark(space, data_path)  # once per worker process


def run_trial(spec: TrialSpec) -> TrialOutcome:
    """Run (or resume) one trial; exceptions come back as a ``failed`` outcome."""
    try:
        return _run_trial(spec)
    except Exception as err:  # a crashed trial must not stop the others
        first = (str(err).strip().splitlines() or [""])[0]
        return TrialOutcome(spec.optimizer, spec.seed, "failed", error=traceback.format_exc(),
                            message=f"{type(err).__name__}: {first}" if first else type(err).__name__)


def _run_trial(spec: TrialSpec) -> TrialOutcome:
    if spec.torch_threads:
        torch.set_num_threads(spec.torch_threads)
    log, done = trial_paths(Path(spec.run_dir), spec.optimizer, spec.seed)
    if done.exists():
        return TrialOutcome(spec.optimizer, spec.seed, "skipped", len(read_trajectory(log)))
    logged = read_trajectory(log, repair=True) if spec.resume else []
    if log.exists() and not spec.resume:
        raise RunFolderError(f"{log} exists from an earlier run; pass resume to continue it")
    for module in spec.plugins:  # a spawned worker starts without the registrations of its parent
        importlib.import_module(module)
    optimizer = build_optimizer(spec.optimizer, spec.config, seed=spec.seed)
    problem = run_problem(Path(spec.run_dir), spec.config)
    optimizer.adapt_search_space(problem)
    started = time.perf_counter() - (logged[-1].wall_time if logged else 0.0)
    best = None
    with TrajectoryWriter(log) as writer:
        for epoch in range(spec.budget):
            optimizer.new_epoch(epoch)
            q = optimizer.history[-1]
            arch = problem.space.to_string(q.dag)
            if best is None or q.result.val_acc > best.result.val_acc:
                best = q
            if epoch < len(logged):  # replaying a resumed trial: check, do not log again
                if logged[epoch].arch != arch:
                    raise RuntimeError(f"{log}: query {epoch + 1} was {logged[epoch].arch} but the replay gives "
                                       f"{arch}; the log comes from other code or settings")
                continue
            writer.write(TrajectoryRecord(epoch + 1, arch, q.result.val_acc, q.result.test_acc, best.result.val_acc,
                                          best.result.test_acc, time.perf_counter() - started, q.result.surrogate,
                                          q.result.cost))
    done.write_text(json.dumps({"queries": spec.budget}))
    done.with_suffix(".error").unlink(missing_ok=True)  # an earlier crash of this trial is now resolved
    return TrialOutcome(spec.optimizer, spec.seed, "done", spec.budget)


def run_problem(run_dir: Path, run: RunConfig) -> Problem:
    """The problem every trial of a run searches: one evaluator (a surrogate is fit once, from
    the config's seed, and kept in ``run_dir``) and one prior."""
    settings = run.settings
    bench = _benchmark(run.space, settings.data_path)
    return build_problem(bench, settings.evaluator, run.dataset, seed=run.seed, use_prior=settings.bo.use_prior,
                         store=run_dir)


#: the summary's top-k: the share of trials that queried one of the space's k best cells by validation
TOP_K = 10


def _experiment(cfg: dict[str, Any], budget: int) -> dict[str, Any]:
    """The part of ``run.json`` that must match for trials to share a run folder."""
    return {"config": cfg, "budget": budget}


def prepare_run_dir(run_dir: Path, run: RunConfig, budget: int, bench: TabularBenchmark) -> dict[str, Any]:
    """Create ``run.json``, or check that an existing one describes the same experiment.

    ``run.json`` also says what ``oe_dvae``'s GP is given as a prior (``prior``), so that a
    prior left out on purpose shows in the summary."""
    path = run_dir / RUN_FILE
    experiment = json.loads(json.dumps(_experiment(run.raw, budget), default=str))  # as stored, the plain dict
    if path.is_file():
        stored = read_run_file(run_dir)
        if {k: stored.get(k) for k in experiment} != experiment:
            raise ConfigError(f"{run_dir} holds another experiment (its config or budget differ from this "
                              f"one); use another --out, or the same config and budget")
        return stored
    dataset = run.dataset
    try:
        optimum, metric = bench.best(Metric.TEST_ACCURACY, dataset)[1], "test_accuracy"
    except MetricNotAvailable:
        optimum, metric = bench.best(Metric.VAL_ACCURACY, dataset)[1], "val_accuracy"
    run_dir.mkdir(parents=True, exist_ok=True)
    prior_note = problem_prior(bench, run.settings.bo.use_prior)[1]
    # the space's best cells by the search metric: the summary counts the trials that reached one.
    # Only where every query is a table cell; ENAS's surrogate answers for decodes outside the table
    top_k = ({"k": TOP_K, "metric": "val_accuracy",
              "archs": [bench.space.to_string(d) for d in bench.top(TOP_K, Metric.VAL_ACCURACY, dataset)]}
             if run.settings.evaluator == "table" else None)
    stored = {**experiment, "optimum": optimum, "optimum_metric": metric, "benchmark": repr(bench), "prior": prior_note,
              "data_notes": bench.notes, "top_k": top_k,
              "versions": package_versions(), "created": time.strftime("%Y-%m-%dT%H:%M:%S")}
    path.write_text(json.dumps(stored, indent=2, default=str))
    return stored


def _die_with_parent(parent: int) -> None:
    """Pool-worker initializer: a worker must not outlive its ``compare``, even one killed with
    ``kill -9``, or it keeps writing into a run folder whose lock is gone. Linux's
    ``PR_SET_PDEATHSIG`` has the kernel kill it; elsewhere workers end with the pool.

    Ctrl-C reaches every process of the terminal's group: workers ignore it, and the parent
    stops them (:func:`_stop_workers`), so one line is printed instead of one traceback each."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the request was in place
        os._exit(1)


def _execute(specs: Sequence[TrialSpec], workers: int, backend: str, ray_address: str | None,
             progress: bool) -> list[TrialOutcome]:
    bar = tqdm(total=len(specs), desc="trials", unit="trial", disable=not progress)
    outcomes = []

    def collect(outcome: TrialOutcome) -> None:
        outcomes.append(outcome)
        bar.update(1)
        bar.set_postfix(failed=sum(o.status == "failed" for o in outcomes))

    try:
        if backend == "ray":
            from naslib_oe.harness.ray_backend import run_on_ray

            for outcome in run_on_ray(specs, run_trial, ray_address):
                collect(outcome)
        elif workers <= 1:
            for spec in specs:
                collect(run_trial(spec))
        else:  # spawn: forked workers would inherit torch's thread pools
            pool = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"),
                                       initializer=_die_with_parent, initargs=(os.getpid(),))
            try:
                for future in as_completed([pool.submit(run_trial, spec) for spec in specs]):
                    collect(future.result())
            except BaseException:  # Ctrl-C: no worker may go on writing after this process has stopped
                _stop_workers(pool)
                raise
            finally:
                pool.shutdown(wait=True, cancel_futures=True)
    finally:
        bar.close()
    return outcomes


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """Kill the pool's worker processes now; ``shutdown`` alone would wait for their running trials.
    A trial cut this way resumes from its log (a line cut short is repaired)."""
    for process in list((pool._processes or {}).values()):  # the executor has no public handle on them
        process.kill()
    for process in list((pool._processes or {}).values()):
        process.join(timeout=10)


def compare(config: RunConfig | Mapping[str, Any], optimizers: Sequence[str], seeds: int | Sequence[int], budget: int,
            run_dir: str | Path, workers: int = 1, backend: str = "process", ray_address: str | None = None,
            resume: bool = False, progress: bool = True) -> CompareResult:
    """Run every (optimizer, seed) trial of one experiment and aggregate what has finished.

    ``config`` is a :class:`~naslib_oe.config.RunConfig`, or a config dict, which is parsed
    into one here, once. ``oe_dvae`` needs a trained VAE: ``search.oe_dvae.checkpoint``, or
    one is trained once here (``run_dir/vae/model.safetensors``) and shared by all of its trials.
    """
    run = config if isinstance(config, RunConfig) else RunConfig.parse(config)
    plugins = check_available(list(optimizers))
    if backend not in ("process", "ray"):
        raise ConfigError(f"unknown backend {backend!r}; expected 'process' or 'ray'")
    seed_list = list(range(seeds)) if isinstance(seeds, int) else list(seeds)
    if not seed_list or budget < 1 or workers < 1:
        raise ConfigError(f"compare needs at least one seed, a budget >= 1 and workers >= 1 "
                          f"(got {len(seed_list)} seeds, budget {budget}, {workers} workers)")
    run_dir = Path(run_dir)
    with locked_run_dir(run_dir):
        return _compare_locked(run, optimizers, seed_list, budget, run_dir, workers, backend, ray_address, resume,
                               progress, plugins)


def preflight(run: RunConfig, optimizers: Sequence[str], seeds: Sequence[int], budget: int, run_dir: Path,
              resume: bool, bench: TabularBenchmark) -> None:
    """Every check that can be made before a trial starts (and before ``run.json`` is written):
    the model file and its space, the budget against the architectures the evaluator answers,
    and, on resume, that every trial log reads. Raises the error a trial would otherwise hit."""
    settings = run.settings
    if any(map(is_oe_dvae, optimizers)) and settings.checkpoint:
        check_model_file(settings.checkpoint, bench.space.name, what="search.oe_dvae.checkpoint")
    check_budget(bench, settings.evaluator, budget, "--budget")
    if resume:
        for optimizer in optimizers:
            for seed in seeds:
                log, done = trial_paths(run_dir, optimizer, seed)
                if log.is_file():
                    read_trajectory(log)  # a corrupt line names the file and line; a cut last line is repaired later


def _compare_locked(run: RunConfig, optimizers, seed_list, budget, run_dir, workers, backend, ray_address, resume,
                    progress, plugins) -> CompareResult:
    bench = _benchmark(run.space, run.settings.data_path)  # shared with inline trials
    preflight(run, optimizers, seed_list, budget, run_dir, resume, bench)
    prepare_run_dir(run_dir, run, budget, bench)
    quality = run_problem(run_dir, run).evaluator_quality  # fits a surrogate once, before any trial
    if quality is not None:
        print(quality)
    trial_run = run
    if any(map(is_oe_dvae, optimizers)) and not run.settings.checkpoint:
        trial_run = _with_shared_vae(run, bench, run_dir / "vae")
    threads = 1 if (workers > 1 or backend == "ray") else None
    specs = [TrialSpec(str(run_dir), trial_run, opt, seed, budget, resume, threads, plugins)
             for opt in optimizers for seed in seed_list]
    result = CompareResult(run_dir, _execute(specs, workers, backend, ray_address, progress))
    for outcome in result.failed:
        (run_dir / "trials" / outcome.optimizer).mkdir(parents=True, exist_ok=True)
        (run_dir / "trials" / outcome.optimizer / f"seed{outcome.seed}.error").write_text(outcome.error or "")
    return result


def _with_shared_vae(run: RunConfig, bench: TabularBenchmark, vae_dir: Path) -> RunConfig:
    """Train the config's VAE once on the table's architectures (no accuracies) and point
    ``search.oe_dvae.checkpoint`` at it."""
    from naslib_oe.training import FINAL_MODEL, TRAIN_STATE, fit_vae

    path = vae_dir / FINAL_MODEL
    if not path.is_file():
        print(f"oe_dvae: training the shared VAE on {len(bench)} {bench.space.name} architectures -> {path}")
        fit_vae(bench.space, bench.dags, run.settings.model, run.settings.train, out_dir=vae_dir,
                resume=(vae_dir / TRAIN_STATE).is_file())
    return run.with_checkpoint(str(path))
