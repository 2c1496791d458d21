"""D-VAE's encoder: asynchronous GRU message passing in topological order.

The state of vertex ``v`` is ``GRU(x_v, sum_{u -> v} message(h_u))``; with
``bidirectional=True`` a second GRU runs from the output back to the input over
successors, and the graph state unifies the output's forward state with the input's
backward state. Batched over graphs: the only Python loop is over vertex positions.
"""
from __future__ import annotations

import torch
from torch import nn

from naslib_oe.models.message import GatedMessage
from naslib_oe.models.registry import register_encoder
from naslib_oe.spaces.dag import DAGBatch


@register_encoder("dvae")
class DVAEEncoder(nn.Module):
    """Shapes: ``x [B, N, d]`` (embedded ops) and a :class:`DAGBatch` -> ``[B, hidden]``."""

    def __init__(self, input_dim: int, hidden: int, max_nodes: int, bidirectional: bool = True, **_: object):
        super().__init__()
        self.hidden = hidden
        self.bidirectional = bidirectional
        self.gru_fwd = nn.GRUCell(input_dim, hidden)
        self.msg_fwd = GatedMessage(hidden, max_nodes)
        if bidirectional:
            self.gru_bwd = nn.GRUCell(input_dim, hidden)
            self.msg_bwd = GatedMessage(hidden, max_nodes)
            self.unify = nn.Linear(2 * hidden, hidden)

    def _sweep(self, x: torch.Tensor, adj: torch.Tensor, gru: nn.GRUCell, message: GatedMessage,
               order: range) -> list[torch.Tensor]:
        """States of all vertices, visiting them in ``order``; ``adj[b, u, v]``: u sends to v."""
        n = x.shape[1]
        messages = x.new_zeros(x.shape[0], n, self.hidden)  # [B, N, hidden], filled as we go
        states: list[torch.Tensor] = [None] * n  # type: ignore[list-item]
        for v in order:
            incoming = torch.bmm(adj[:, None, :, v].to(x.dtype), messages).squeeze(1)  # [B, hidden]
            states[v] = gru(x[:, v], incoming)
            messages = messages.index_copy(1, torch.tensor([v], device=x.device), message(states[v], v)[:, None])
        return states

    def forward(self, x: torch.Tensor, batch: DAGBatch) -> torch.Tensor:
        n = x.shape[1]
        adj = batch.adj
        fwd = self._sweep(x, adj, self.gru_fwd, self.msg_fwd, range(n))
        last = (batch.n_nodes - 1).clamp(min=0)  # the output vertex of each graph
        h_out = torch.stack(fwd, 1).gather(1, last[:, None, None].expand(-1, 1, self.hidden)).squeeze(1)
        if not self.bidirectional:
            return h_out
        bwd = self._sweep(x, adj.transpose(1, 2), self.gru_bwd, self.msg_bwd, range(n - 1, -1, -1))
        return self.unify(torch.cat([h_out, bwd[0]], -1))
