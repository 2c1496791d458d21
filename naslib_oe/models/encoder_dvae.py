"""D-VAE's encoder: asynchronous GRU message passing in topological order.

The state of vertex ``v`` is ``GRU(x_v, sum_{u -> v} message(h_u))``; with
``bidirectional=True`` a second GRU runs from the output back to the input over
successors, and the graph state unifies the output's forward state with the input's
backward state. Batched over graphs: the only Python loop is over vertex positions.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from naslib_oe.models.message import GatedMessage
from naslib_oe.models.propagation import gru_from_sums, input_gates
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
               positions: list[int]) -> torch.Tensor:
        """States ``[B, N, hidden]`` of vertices visited in index order; ``adj[b, u, v]``: u sends to v.

        ``positions[k]`` is the vertex id that D-VAE's message sees for index ``k``.
        """
        n = x.shape[1]
        gi = input_gates(gru, x)  # [B, N, 3h]
        states = [gru_from_sums(gru, gi[:, 0], 0.0, 0.0)]  # no predecessors
        messages: list[torch.Tensor] = []
        for k in range(1, n):  # the last vertex sends nothing: it has no successors
            messages.append(message(states[-1], positions[k - 1]))
            incoming = torch.bmm(adj[:, None, :k, k], torch.stack(messages, 1)).squeeze(1)  # [B, h]
            states.append(gru_from_sums(gru, gi[:, k], incoming, F.linear(incoming, gru.weight_hh)))
        return torch.stack(states, 1)

    def forward(self, x: torch.Tensor, batch: DAGBatch) -> torch.Tensor:
        n = x.shape[1]
        adj = batch.adj.to(x.dtype)
        fwd = self._sweep(x, adj, self.gru_fwd, self.msg_fwd, list(range(n)))
        last = (batch.n_nodes - 1).clamp(min=0)  # the output vertex of each graph
        h_out = fwd.gather(1, last[:, None, None].expand(-1, 1, self.hidden)).squeeze(1)
        if not self.bidirectional:
            return h_out
        # the backward sweep is a forward sweep over the reversed graph with the indices flipped
        bwd = self._sweep(x.flip(1), adj.flip(1, 2).transpose(1, 2), self.gru_bwd, self.msg_bwd,
                          list(range(n - 1, -1, -1)))
        return self.unify(torch.cat([h_out, bwd[:, -1]], -1))
