"""Graph properties of architectures against their accuracy (the paper's section on
what makes a good architecture): average clustering coefficient and average shortest-path
length of each DAG taken as an undirected graph (networkx), with Pearson's r."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from matplotlib.figure import Figure  # no pyplot: a notebook's backend is left alone
import networkx as nx
import numpy as np
from scipy.stats import pearsonr
from tqdm.auto import tqdm

from naslib_oe.spaces import ArchDAG

PROPERTIES = {"clustering": "average clustering coefficient", "path_length": "average shortest-path length"}


def graph_properties(dags: Sequence[ArchDAG], progress: bool = False) -> dict[str, np.ndarray]:
    """``{"clustering": [n], "path_length": [n]}`` of the undirected version of each DAG.

    The path length of a disconnected graph (possible in NB101 before pruning only) is NaN.
    """
    clustering, path = np.empty(len(dags)), np.empty(len(dags))
    for i, dag in enumerate(tqdm(dags, desc="graph properties", unit="graph", disable=not progress)):
        g = dag.to_networkx().to_undirected()
        clustering[i] = nx.average_clustering(g)
        path[i] = nx.average_shortest_path_length(g) if nx.is_connected(g) else np.nan
    return {"clustering": clustering, "path_length": path}


@dataclass
class Correlation:
    r: float
    p: float
    n: int


def _paired(values: np.ndarray, acc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The (property, accuracy) pairs where both are known: NB201 has cells without an accuracy."""
    keep = np.isfinite(values) & np.isfinite(acc)
    return values[keep], acc[keep]


def _varies(x: np.ndarray, y: np.ndarray) -> bool:
    """Whether a correlation and a fitted line are defined: two points and spread on both axes."""
    return len(x) >= 2 and np.ptp(x) > 0 and np.ptp(y) > 0


def property_correlations(props: dict[str, np.ndarray], accuracy: Sequence[float]) -> dict[str, Correlation]:
    """Pearson r (and its two-sided p-value) of each property with ``accuracy``, pairs with a NaN
    left out; r and p are NaN where either side is constant."""
    acc = np.asarray(accuracy, dtype=float)
    out = {}
    for name, values in props.items():
        x, y = _paired(values, acc)
        if not _varies(x, y):
            out[name] = Correlation(float("nan"), float("nan"), len(x))
            continue
        result = pearsonr(x, y)
        out[name] = Correlation(float(result.statistic), float(result.pvalue), len(x))
    return out


def plot_properties(props: dict[str, np.ndarray], accuracy: Sequence[float], path: str | Path,
                    title: str = "") -> Path:
    """One hexbin panel per property against accuracy, with r and p in the legend."""
    acc = np.asarray(accuracy, dtype=float)
    corr = property_correlations(props, acc)
    fig = Figure(figsize=(5.2 * len(props), 4.2))
    axes = fig.subplots(1, len(props), squeeze=False)
    for ax, (name, values) in zip(axes[0], props.items()):
        x, y = _paired(values, acc)
        hb = ax.hexbin(x, y, gridsize=30, cmap="viridis", mincnt=1)
        c = corr[name]
        if _varies(x, y):
            xs = np.linspace(x.min(), x.max(), 50)
            ax.plot(xs, np.polyval(np.polyfit(x, y, 1), xs), color="crimson",
                    label=f"Pearson r = {c.r:.3f} (p = {c.p:.1e}, n = {c.n})")
        else:
            ax.plot([], [], " ", label=f"no correlation: constant values (n = {c.n})")
        ax.set(xlabel=PROPERTIES.get(name, name), ylabel="accuracy (%)")
        ax.legend(loc="lower right", fontsize=8)
        fig.colorbar(hb, ax=ax, label="architectures")
    fig.suptitle(title or "graph properties vs accuracy")
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=120)
    return path
