"""Predictor comparison: train on random sets of each size, score on one fixed test set.

:func:`compare_predictors` returns one :class:`Score` per (predictor, training size, seed);
:func:`summarize` gives mean and standard deviation per (predictor, size), which
:func:`write_csv`, :func:`markdown_table` and :func:`plot_scores` write out.
"""
from __future__ import annotations

import csv
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Callable, Mapping, Sequence

import numpy as np
from scipy import stats
from tqdm.auto import tqdm

from naslib_oe.bo.predictive import rmse_and_pearson
from naslib_oe.errors import ConfigError
from naslib_oe.predictors.base import ArchitecturePredictor
from naslib_oe.spaces import ArchDAG

METRICS = ("kendall", "spearman", "pearson", "rmse")
#: a factory builds a fresh predictor for one training set, from the trial's seed
PredictorFactory = Callable[[int], ArchitecturePredictor]


@dataclass(frozen=True)
class Score:
    predictor: str
    train_size: int
    seed: int
    kendall: float
    spearman: float
    pearson: float
    rmse: float
    fit_seconds: float


def score(pred: np.ndarray, target: np.ndarray) -> dict[str, float]:
    """Kendall tau, Spearman rho, Pearson r and RMSE. A constant prediction ranks nothing:
    its correlations are 0 (scipy's NaN would hide it from the means)."""
    pred, target = np.asarray(pred, dtype=np.float64), np.asarray(target, dtype=np.float64)
    if np.ptp(pred) == 0 or np.ptp(target) == 0:
        return {"kendall": 0.0, "spearman": 0.0, "pearson": 0.0, "rmse": float(np.sqrt(np.mean((pred - target) ** 2)))}
    rmse, pearson = rmse_and_pearson(pred, target)  # the VAE protocol's own formulas
    return {"kendall": float(stats.kendalltau(pred, target)[0]), "spearman": float(stats.spearmanr(pred, target)[0]),
            "pearson": pearson, "rmse": rmse}


def split(n: int, test_size: int, split_seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Fixed test rows and the pool the training sets are drawn from."""
    if not 0 < test_size < n:
        raise ConfigError(f"test_size must be between 1 and {n - 1} (the table has {n} rows), not {test_size}")
    order = np.random.default_rng(split_seed).permutation(n)
    return order[:test_size], order[test_size:]


def compare_predictors(dags: Sequence[ArchDAG], y: Sequence[float], predictors: Mapping[str, PredictorFactory],
                       train_sizes: Sequence[int], seeds: Sequence[int], test_size: int = 1000,
                       split_seed: int = 0, progress: bool = True) -> list[Score]:
    """Every predictor on the same training sets (one per size and seed) and test set."""
    y = np.asarray(y, dtype=np.float64)
    test, pool = split(len(dags), test_size, split_seed)
    too_big = [s for s in train_sizes if s > len(pool)]
    if too_big:
        raise ConfigError(f"training sizes {too_big} exceed the {len(pool)} architectures outside the test set")
    test_dags = [dags[i] for i in test]
    scores = []
    bar = tqdm(total=len(predictors) * len(train_sizes) * len(seeds), desc="predictors", unit="fit",
               disable=not progress)
    for size in train_sizes:
        for seed in seeds:
            rows = np.random.default_rng([split_seed, size, seed]).choice(pool, size=size, replace=False)
            train_dags = [dags[i] for i in rows]
            for name, factory in predictors.items():
                started = time.perf_counter()
                pred = factory(seed).fit(train_dags, y[rows]).query(test_dags)
                scores.append(Score(name, size, seed, **score(pred, y[test]),
                                    fit_seconds=time.perf_counter() - started))
                bar.update(1)
    bar.close()
    return scores


def summarize(scores: Sequence[Score]) -> list[dict[str, float | str | int]]:
    """Mean and standard deviation of every metric per (predictor, training size)."""
    groups: dict[tuple[str, int], list[Score]] = {}
    for s in scores:
        groups.setdefault((s.predictor, s.train_size), []).append(s)
    out = []
    for (name, size), group in groups.items():
        row: dict[str, float | str | int] = {"predictor": name, "train_size": size, "seeds": len(group)}
        for metric in METRICS + ("fit_seconds",):
            values = np.array([getattr(s, metric) for s in group])
            row[f"{metric}_mean"], row[f"{metric}_std"] = float(values.mean()), float(values.std())
        out.append(row)
    return out


def write_csv(scores: Sequence[Score], path: str | Path) -> Path:
    """Every score (one row per predictor, size and seed)."""
    path = Path(path)
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, [f.name for f in fields(Score)])
        writer.writeheader()
        writer.writerows(asdict(s) for s in scores)
    return path


def best_per_size(summary: Sequence[Mapping], metric: str = "kendall") -> dict[int, str]:
    """The predictor with the highest mean ``metric`` (lowest, for RMSE) at each size."""
    sign = -1 if metric == "rmse" else 1
    best: dict[int, Mapping] = {}
    for row in summary:
        size = row["train_size"]
        if size not in best or sign * row[f"{metric}_mean"] > sign * best[size][f"{metric}_mean"]:
            best[size] = row
    return {size: row["predictor"] for size, row in sorted(best.items())}


def markdown_table(summary: Sequence[Mapping], metric: str = "kendall") -> str:
    """Predictors x training sizes, ``mean ± std`` of ``metric``; the best at each size in bold."""
    sizes = sorted({row["train_size"] for row in summary})
    names = list(dict.fromkeys(row["predictor"] for row in summary))
    cells = {(row["predictor"], row["train_size"]): row for row in summary}
    best = best_per_size(summary, metric)
    lines = ["| predictor | " + " | ".join(f"n={s}" for s in sizes) + " |", "|---" * (len(sizes) + 1) + "|"]
    for name in names:
        row = []
        for size in sizes:
            cell = cells.get((name, size))
            if cell is None:
                row.append("")
                continue
            text = f"{cell[f'{metric}_mean']:.3f} ± {cell[f'{metric}_std']:.3f}"
            row.append(f"**{text}**" if best[size] == name else text)
        lines.append(f"| {name} | " + " | ".join(row) + " |")
    return "\n".join(lines)


def plot_scores(summary: Sequence[Mapping], path: str | Path, metrics: Sequence[str] = ("kendall", "spearman")) -> Path:
    """Correlation against training size, one line per predictor with a ±std band."""
    from matplotlib.figure import Figure  # no pyplot: a notebook's backend is left alone

    fig = Figure(figsize=(5.5 * len(metrics), 4))
    axes = fig.subplots(1, len(metrics), squeeze=False)
    names = list(dict.fromkeys(row["predictor"] for row in summary))
    for ax, metric in zip(axes[0], metrics):
        for name in names:
            rows = sorted((r for r in summary if r["predictor"] == name), key=lambda r: r["train_size"])
            x = [r["train_size"] for r in rows]
            mean = np.array([r[f"{metric}_mean"] for r in rows])
            std = np.array([r[f"{metric}_std"] for r in rows])
            ax.plot(x, mean, marker="o", label=name)
            ax.fill_between(x, mean - std, mean + std, alpha=0.2)
        ax.set_xscale("log")
        ax.set_xlabel("training architectures")
        ax.set_ylabel({"kendall": "Kendall τ", "spearman": "Spearman ρ"}.get(metric, metric))
        ax.grid(alpha=0.3)
    axes[0][0].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return Path(path)
