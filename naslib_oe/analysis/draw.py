"""Drawing architectures: vertices in topological order left to right, named by operation."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.pyplot as plt  # noqa: E402
import networkx as nx  # noqa: E402

from naslib_oe.spaces import ArchDAG, SearchSpace  # noqa: E402


def draw_dag(dag: ArchDAG, space: SearchSpace, ax: plt.Axes, title: str = "") -> None:
    """Draw ``dag`` on ``ax``: vertex *i* at x = *i*, skip edges arched, colours by operation."""
    graph = dag.to_networkx(space.vocab)
    pos = {i: (i, 0.35 * ((i % 2) * 2 - 1) if 0 < i < dag.n_nodes - 1 else 0.0) for i in graph.nodes}
    cmap = plt.get_cmap("viridis", space.num_ops)
    colours = [cmap(op) for op in dag.ops]
    nx.draw_networkx_nodes(graph, pos, ax=ax, node_color=colours, node_size=350, edgecolors="black")
    nx.draw_networkx_edges(graph, pos, ax=ax, arrows=True, arrowsize=10, node_size=350,
                           connectionstyle="arc3,rad=0.25")
    # names beside the vertices, in black, so that no colour of the map hides them
    label_pos = {i: (x, y + (0.3 if y >= 0 else -0.3)) for i, (x, y) in pos.items()}
    labels = {i: space.op_name(op) for i, op in enumerate(dag.ops)}
    nx.draw_networkx_labels(graph, label_pos, labels, ax=ax, font_size=7)
    ax.set_title(title, fontsize=9)
    ax.set_xlim(-0.7, dag.n_nodes - 0.3)
    ax.set_ylim(-1.8, 1.0)  # room for the arcs of long skip edges
    ax.axis("off")


def save_dags_png(dags: Sequence[ArchDAG], space: SearchSpace, titles: Sequence[str], path: str | Path,
                  suptitle: str = "") -> Path:
    """One row per architecture, written as a PNG."""
    fig, axes = plt.subplots(len(dags), 1, figsize=(1.3 * space.max_nodes + 1, 1.9 * len(dags)), squeeze=False)
    for ax, dag, title in zip(axes[:, 0], dags, titles):
        draw_dag(dag, space, ax, title)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
