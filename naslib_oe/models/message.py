"""D-VAE's gated message from a vertex to its neighbours.

The message of vertex ``u`` is ``gate([h_u; e_u]) * map([h_u; e_u])``, where ``e_u`` is the
one-hot of ``u``'s position (D-VAE's "vertex id"). A vertex receives the sum of its
neighbours' messages, which this module leaves to the caller as a masked matrix product.
"""
from __future__ import annotations

import torch
from torch import nn


class GatedMessage(nn.Module):
    """Shapes: ``h [B, hidden]``, ``position`` int -> ``[B, hidden]``."""

    def __init__(self, hidden: int, max_nodes: int):
        super().__init__()
        self.max_nodes = max_nodes
        self.gate = nn.Linear(hidden + max_nodes, hidden)
        # no bias, so that the message of an all-zero state is zero (as in D-VAE)
        self.map = nn.Linear(hidden + max_nodes, hidden, bias=False)
        self.register_buffer("positions", torch.eye(max_nodes), persistent=False)

    def forward(self, h: torch.Tensor, position: int) -> torch.Tensor:
        # The one-hot is concatenated, not folded into a bias: slicing the weights instead
        # makes every call's backward allocate and accumulate a full-size weight gradient.
        x = torch.cat([h, self.positions[position].to(h.dtype).expand(h.shape[0], -1)], -1)
        return torch.sigmoid(self.gate(x)) * self.map(x)
