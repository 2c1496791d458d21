"""GCN encoder (GCN-EMB in the paper): stacked ``torch_geometric`` GCN layers on the batch.

The padded batch becomes one disconnected PyG graph (padded vertices are isolated), edges
are used in both directions, and the graph state is the mean of the real vertices' states.
"""
from __future__ import annotations

import torch
from torch import nn
from torch_geometric.nn import GCNConv

from naslib_oe.models.registry import register_encoder
from naslib_oe.spaces.dag import DAGBatch


def flat_edge_index(adj: torch.Tensor) -> torch.Tensor:
    """``adj [B, N, N]`` -> PyG ``edge_index [2, 2E]`` over ``B*N`` vertices, both directions."""
    b, src, dst = adj.nonzero(as_tuple=True)
    n = adj.shape[1]
    src, dst = b * n + src, b * n + dst
    return torch.stack([torch.cat([src, dst]), torch.cat([dst, src])])


@register_encoder("gcn")
class GCNEncoder(nn.Module):
    """Shapes: ``x [B, N, d]`` and a :class:`DAGBatch` -> ``[B, hidden]``."""

    def __init__(self, input_dim: int, hidden: int, max_nodes: int, gcn_layers: int = 3, **_: object):
        super().__init__()
        dims = [input_dim] + [hidden] * gcn_layers
        self.layers = nn.ModuleList(GCNConv(a, b) for a, b in zip(dims[:-1], dims[1:]))

    def forward(self, x: torch.Tensor, batch: DAGBatch) -> torch.Tensor:
        bsz, n, _ = x.shape
        edge_index = flat_edge_index(batch.adj)
        h = x.reshape(bsz * n, -1)
        for i, layer in enumerate(self.layers):
            h = layer(h, edge_index)
            if i < len(self.layers) - 1:
                h = torch.relu(h)
        h = h.reshape(bsz, n, -1)
        real = (torch.arange(n, device=x.device)[None] < batch.n_nodes[:, None]).to(h.dtype)  # [B, N]
        return (h * real[..., None]).sum(1) / real.sum(1, keepdim=True).clamp(min=1)
