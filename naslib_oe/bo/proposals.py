"""Turning latent points into architectures: D-VAE's most-frequent-decode rule."""
from __future__ import annotations

from collections import Counter

import torch

from naslib_oe.models import GraphVAE
from naslib_oe.spaces import ArchDAG


@torch.no_grad()
def decode_most_frequent(vae: GraphVAE, z: torch.Tensor, samples: int = 100,
                         generator: torch.Generator | None = None) -> list[ArchDAG | None]:
    """For each point of ``z [q, latent]``, the valid architecture decoded most often.

    Every point is decoded ``samples`` times stochastically, all in one batched call on the
    model's device. Ties go to the architecture decoded first. ``None`` where no decode of
    a point was valid.
    """
    vae.eval()
    q = len(z)
    decoded = vae.decode(z.to(vae.device, torch.float32).repeat(samples, 1), stochastic=True,
                         generator=generator).to_dags()
    space = vae.space
    counts: list[Counter] = [Counter() for _ in range(q)]
    first: list[dict[str, ArchDAG]] = [{} for _ in range(q)]
    for row, dag in enumerate(decoded):  # row = repeat * q + point
        if space.is_valid(dag):
            key = space.hash(dag)
            counts[row % q][key] += 1
            first[row % q].setdefault(key, dag)
    return [first[i][c.most_common(1)[0][0]] if c else None for i, c in enumerate(counts)]
