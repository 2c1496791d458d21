"""DAGNN's encoder (Thost & Chen, "Directed Acyclic Graph Neural Networks", ICLR 2021).

Each of ``layers`` layers updates the vertices in topological order, so that a vertex reads
its predecessors' states of the *same* layer:

    m_v   = sum_{u -> v} alpha_vu h_u^l,   alpha_v. = softmax_u(w_q . h_v^{l-1} + w_k . h_u^l)
    h_v^l = GRUCell(input = h_v^{l-1}, hidden = m_v)          (m_v = 0 without predecessors)

with ``h^0`` the embedded operations. With ``bidirectional`` a second stack of layers runs
over successors in reverse topological order, from the same embeddings, with its own
weights. The readout uses every vertex: per layer and direction, the max over the graph's
real vertices; the concatenation is mapped to ``hidden``. DAGNN has no operation
embeddings of its own: here it reads those of :class:`~naslib_oe.models.OperationEmbedding`,
learned (DAGNN-EMB) or one-hot. Batched over graphs: the only Python loop is over vertex
positions.
"""
from __future__ import annotations

import torch
from torch import nn

from naslib_oe.models.registry import register_encoder
from naslib_oe.spaces.dag import DAGBatch


class DAGNNLayer(nn.Module):
    """One layer over one direction. Shapes: ``x [B, N, d]`` (the previous layer's states),
    ``adj [B, N, N]`` with ``adj[b, u, v]`` for an edge u -> v, u < v -> ``[B, N, hidden]``."""

    def __init__(self, input_dim: int, hidden: int):
        super().__init__()
        self.gru = nn.GRUCell(input_dim, hidden)
        self.query = nn.Linear(input_dim, 1)          # w_q . h_v^{l-1} (+ the bias of the score)
        self.key = nn.Linear(hidden, 1, bias=False)   # w_k . h_u^l

    def forward(self, x: torch.Tensor, adj: torch.Tensor) -> torch.Tensor:
        n = x.shape[1]
        query = self.query(x).squeeze(-1)  # [B, N]
        states: list[torch.Tensor] = []
        keys: list[torch.Tensor] = []
        smallest = torch.finfo(x.dtype).min
        for v in range(n):
            if v == 0:
                message = x.new_zeros(x.shape[0], self.gru.hidden_size)  # the first vertex has no predecessor
            else:
                preds = adj[:, :v, v] > 0  # [B, v]
                scores = (torch.stack(keys, 1) + query[:, v:v + 1]).masked_fill(~preds, smallest)
                # the mask zeroes the uniform weights of a vertex without predecessors (a padded one)
                alpha = torch.softmax(scores, -1) * preds
                message = torch.bmm(alpha[:, None].to(x.dtype), torch.stack(states, 1)).squeeze(1)
            h = self.gru(x[:, v], message)
            states.append(h)
            keys.append(self.key(h).squeeze(-1))
        return torch.stack(states, 1)


@register_encoder("dagnn")
class DAGNNEncoder(nn.Module):
    """Shapes: ``x [B, N, d]`` (embedded ops) and a :class:`DAGBatch` -> ``[B, hidden]``."""

    def __init__(self, input_dim: int, hidden: int, max_nodes: int, bidirectional: bool = True,
                 dagnn_layers: int = 2, **_: object):
        super().__init__()
        dims = [input_dim] + [hidden] * (dagnn_layers - 1)
        self.forward_layers = nn.ModuleList(DAGNNLayer(d, hidden) for d in dims)
        self.backward_layers = nn.ModuleList(DAGNNLayer(d, hidden) for d in dims) if bidirectional else None
        directions = 2 if bidirectional else 1
        self.readout = nn.Linear(directions * dagnn_layers * hidden, hidden)

    @staticmethod
    def _stack(layers: nn.ModuleList, x: torch.Tensor, adj: torch.Tensor) -> list[torch.Tensor]:
        """Each layer's states ``[B, N, hidden]``, in order."""
        out = []
        for layer in layers:
            x = layer(x, adj)
            out.append(x)
        return out

    def forward(self, x: torch.Tensor, batch: DAGBatch) -> torch.Tensor:
        n = x.shape[1]
        adj = batch.adj
        real = torch.arange(n, device=x.device)[None] < batch.n_nodes[:, None]  # [B, N]
        states = self._stack(self.forward_layers, x, adj)
        if self.backward_layers is not None:
            # the backward direction is a forward pass over the reversed graph with the indices flipped
            backward = self._stack(self.backward_layers, x.flip(1), adj.flip(1, 2).transpose(1, 2))
            states += [h.flip(1) for h in backward]
        pooled = [h.masked_fill(~real[..., None], torch.finfo(h.dtype).min).amax(1) for h in states]
        return self.readout(torch.cat(pooled, -1))
