"""What the latent space and the operation embeddings look like.

* :func:`latent_map`: a 2-D t-SNE (scikit-learn) of posterior-mean latents.
* :func:`smoothness`: mean absolute accuracy difference between each point and its nearest
  latent neighbour, against random pairs. A smooth space has the first well below the second.
* :func:`embedding_geometry`: the operation vectors in 2-D (PCA when dim > 2) and their
  cosine-similarity matrix.
* :func:`interpolate`: argmax decodes along the line between two architectures' latents.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from matplotlib.figure import Figure  # no pyplot: a notebook's backend is left alone
import numpy as np
import torch
from sklearn.manifold import TSNE

from naslib_oe.models import GraphVAE
from naslib_oe.spaces import ArchDAG


def latent_map(z: np.ndarray, seed: int = 0) -> np.ndarray:
    """``[n, 2]`` t-SNE coordinates of latents ``z [n, d]``."""
    perplexity = min(30.0, max(2.0, (len(z) - 1) / 3))
    return TSNE(2, perplexity=perplexity, init="pca", random_state=seed).fit_transform(np.asarray(z, dtype=np.float64))


@dataclass
class Smoothness:
    neighbour_diff: float   # mean |acc(i) - acc(nearest latent neighbour of i)|
    random_diff: float      # mean |acc(i) - acc(j)| over random pairs

    @property
    def ratio(self) -> float:
        return self.neighbour_diff / self.random_diff


def smoothness(z: torch.Tensor, accuracy: Sequence[float], seed: int = 0) -> Smoothness:
    """Nearest-neighbour versus random-pair accuracy differences (Euclidean latent distance)."""
    z = torch.as_tensor(z, dtype=torch.float64)
    acc = torch.as_tensor(np.asarray(accuracy, dtype=np.float64))
    d = torch.cdist(z, z)
    d.fill_diagonal_(torch.inf)
    nearest = d.argmin(1)
    gen = torch.Generator().manual_seed(seed)
    partner = (torch.arange(len(z)) + torch.randint(1, len(z), (len(z),), generator=gen)) % len(z)  # never itself
    return Smoothness(float((acc - acc[nearest]).abs().mean()), float((acc - acc[partner]).abs().mean()))


def plot_latent_maps(maps: Sequence[tuple[str, np.ndarray, np.ndarray]], path: str | Path) -> Path:
    """Side-by-side t-SNE maps ``(label, xy [n, 2], accuracy [n])``, one shared colour scale."""
    lo = min(float(np.min(a)) for _, _, a in maps)
    hi = max(float(np.max(a)) for _, _, a in maps)
    fig = Figure(figsize=(5.2 * len(maps), 4.6))
    axes = fig.subplots(1, len(maps), squeeze=False)
    for ax, (label, xy, acc) in zip(axes[0], maps):
        sc = ax.scatter(xy[:, 0], xy[:, 1], c=acc, s=4, cmap="viridis", vmin=lo, vmax=hi)
        ax.set(title=label, xlabel="t-SNE 1", ylabel="t-SNE 2")
    fig.colorbar(sc, ax=axes[0].tolist(), label="accuracy (%)")
    fig.suptitle("latent space (posterior means), coloured by accuracy")
    path = Path(path)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    return path


def embedding_geometry(model: GraphVAE) -> tuple[np.ndarray, np.ndarray]:
    """``(xy [num_ops, 2], cosine [num_ops, num_ops])`` of the model's operation vectors."""
    v = model.embedding.vectors.detach().cpu().double().numpy()
    centred = v - v.mean(0)
    if v.shape[1] > 2:
        _, _, vt = np.linalg.svd(centred, full_matrices=False)
        xy = centred @ vt[:2].T
    else:
        xy = np.pad(centred, ((0, 0), (0, 2 - v.shape[1])))
    unit = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
    return xy, unit @ unit.T


def plot_embeddings(model: GraphVAE, path: str | Path) -> Path:
    xy, cosine = embedding_geometry(model)
    names = list(model.space.vocab)
    fig = Figure(figsize=(11, 4.6))
    left, right = fig.subplots(1, 2)
    left.scatter(xy[:, 0], xy[:, 1], c=np.arange(len(names)), cmap="viridis", s=60)
    for (x, y), name in zip(xy, names):
        left.annotate(name, (x, y), textcoords="offset points", xytext=(4, 4), fontsize=8)
    pca = model.embedding.dim > 2
    left.set(title="operation embeddings" + (" (PCA)" if pca else ""), xlabel="PC 1" if pca else "dim 1",
             ylabel="PC 2" if pca else "dim 2")
    im = right.imshow(cosine, cmap="viridis", vmin=-1, vmax=1)
    right.set_xticks(range(len(names)), names, rotation=60, ha="right", fontsize=8)
    right.set_yticks(range(len(names)), names, fontsize=8)
    right.set_title("cosine similarity")
    fig.colorbar(im, ax=right, label="cosine similarity")
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=120)
    return path


@torch.no_grad()
def interpolate(model: GraphVAE, start: ArchDAG, end: ArchDAG, steps: int = 6) -> list[ArchDAG]:
    """Argmax decodes of ``steps`` evenly spaced points from ``start``'s latent to ``end``'s."""
    za, zb = model.embed([start, end])
    t = torch.linspace(0, 1, steps, device=za.device).unsqueeze(1)
    return model.decode((1 - t) * za + t * zb).to_dags()
