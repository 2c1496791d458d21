"""Drawing architectures: a layered DAG layout in which every edge and label stays visible.

Vertices sit on one line in topological order, each a box with its operation's name in it
(the box colour is the operation's). Edges between neighbours are straight; longer ones are
arcs, alternately above and below the line by their source, whose height grows with their
span. The axes are sized from the arcs, so that no edge leaves the picture.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import matplotlib
from matplotlib.axes import Axes
from matplotlib.figure import Figure  # no pyplot: a notebook's backend is left alone
from matplotlib.patches import FancyArrowPatch
from matplotlib.path import Path as MplPath

from naslib_oe.spaces import ArchDAG, SearchSpace

#: half-width of a vertex box in data units (vertices are 1 apart)
BOX = 0.32


def edge_arcs(dag: ArchDAG) -> list[tuple[int, int, float]]:
    """``(src, dst, height)`` of every edge: 0 for neighbours, else an arc of signed height
    (above the line for even sources, below for odd ones) growing with the span."""
    arcs = []
    for src, dst in zip(*dag.adj.nonzero()):
        span = int(dst - src)
        height = 0.0 if span == 1 else (0.45 + 0.22 * span) * (1 if src % 2 == 0 else -1)
        arcs.append((int(src), int(dst), height))
    return arcs


def draw_dag(dag: ArchDAG, space: SearchSpace, ax: Axes, title: str = "") -> list[tuple[int, int, float]]:
    """Draw ``dag`` on ``ax`` (see the module docstring); returns :func:`edge_arcs`."""
    cmap = matplotlib.colormaps["viridis"].resampled(space.num_ops)
    arcs = edge_arcs(dag)
    for src, dst, height in arcs:
        start, end = (src + BOX, 0.0), (dst - BOX, 0.0)
        if height:  # a quadratic Bezier whose control point is twice the peak height off the line
            start, end = (src, 0.25 * (1 if height > 0 else -1)), (dst, 0.25 * (1 if height > 0 else -1))
            path = MplPath([start, ((src + dst) / 2, 2 * height), end], [MplPath.MOVETO, MplPath.CURVE3, MplPath.CURVE3])
        else:
            path = MplPath([start, end])
        ax.add_patch(FancyArrowPatch(path=path, arrowstyle="-|>", mutation_scale=9, linewidth=0.9,
                                     color="0.25", zorder=1, shrinkA=0, shrinkB=0))
    for i, op in enumerate(dag.ops):
        r, g, b, _ = cmap(op)
        light = (r * 0.299 + g * 0.587 + b * 0.114) > 0.5
        ax.text(i, 0, space.op_name(op).replace("_", "\n", 1), ha="center", va="center", fontsize=6.5, zorder=3,
                color="black" if light else "white",
                bbox={"boxstyle": "round,pad=0.3", "facecolor": cmap(op), "edgecolor": "black", "linewidth": 0.6})
    reach = max([abs(h) for _, _, h in arcs] + [0.5]) + 0.35
    ax.set_xlim(-0.7, dag.n_nodes - 0.3)
    ax.set_ylim(-reach, reach)
    ax.set_title(title, fontsize=9)
    ax.axis("off")
    return arcs


def save_dags_png(dags: Sequence[ArchDAG], space: SearchSpace, titles: Sequence[str], path: str | Path,
                  suptitle: str = "") -> Path:
    """One row per architecture, written as a PNG; row heights follow each drawing's arcs."""
    heights = [2 * (max([abs(h) for _, _, h in edge_arcs(d)] + [0.5]) + 0.35) for d in dags]
    fig = Figure(figsize=(1.1 * space.max_nodes + 1, 0.55 * sum(heights) + 0.5 * len(dags)))
    axes = fig.subplots(len(dags), 1, squeeze=False, gridspec_kw={"height_ratios": heights})
    for ax, dag, title in zip(axes[:, 0], dags, titles):
        draw_dag(dag, space, ax, title)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=120)
    return path
