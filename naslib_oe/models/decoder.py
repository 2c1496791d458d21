"""D-VAE's decoder: grow a DAG vertex by vertex from a latent vector.

At step ``v`` the decoder picks the type of the new vertex from the state of the last
vertex, then decides the edges ``v-1 -> v``, ..., ``0 -> v`` one after another, updating
the new vertex's state after each decision. An ``output`` vertex ends the graph and takes
every vertex without successors (D-VAE's rule); with ``predict_output_edges`` it also takes
its predicted edges, which spaces like NAS-Bench-101 need. The last position is always
``output``.

Everything is batched over graphs. The new vertex's GRU input is a *sum* of predecessor
messages, so its hidden-side product ``W_hh @ sum(m_u)`` equals ``sum(W_hh @ m_u)``: we
precompute ``W_hh @ m_u`` once per vertex, and every intermediate state needs only additions.
That is exact, and it makes teacher forcing a single GRU evaluation per vertex position.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from naslib_oe.models.embedding import OperationEmbedding
from naslib_oe.models.message import GatedMessage
from naslib_oe.spaces.base import INPUT_ID, OUTPUT_ID
from naslib_oe.spaces.dag import DAGBatch


class _Finalised:
    """Per-vertex quantities, ``[B, N, *]``, of the vertices whose state is final."""

    def __init__(self, bsz: int, n: int, hidden: int, edge_hidden: int, like: torch.Tensor):
        self.message = like.new_zeros(bsz, n, hidden)        # m_u
        self.gru_hidden = like.new_zeros(bsz, n, 3 * hidden)  # W_hh @ m_u
        self.edge_src = like.new_zeros(bsz, n, edge_hidden)   # edge-MLP first layer, source half


class DVAEDecoder(nn.Module):
    """Decoder of :class:`~naslib_oe.models.vae.GraphVAE`.

    Args:
        embedding: the operation embedding shared with the encoder.
        hidden: vertex state size (501 in the paper).
        latent: size of ``z`` (56 in the paper).
        max_nodes: ``N``, the largest graph it generates.
        predict_output_edges: also decide the output vertex's edges (see module docstring).
    """

    def __init__(self, embedding: OperationEmbedding, hidden: int, latent: int, max_nodes: int,
                 predict_output_edges: bool = False):
        super().__init__()
        self.predict_output_edges = predict_output_edges
        self.embedding = embedding
        self.hidden = hidden
        self.max_nodes = max_nodes
        num_ops = embedding.num_ops
        self.latent_to_hidden = nn.Linear(latent, hidden)
        self.gru = nn.GRUCell(embedding.dim, hidden)
        self.message = GatedMessage(hidden, max_nodes)
        self.add_vertex = nn.Sequential(nn.Linear(hidden, 2 * hidden), nn.ReLU(), nn.Linear(2 * hidden, num_ops))
        # D-VAE's add_edge MLP on [h_src; h_new], with its first layer split by input half.
        self.edge_src = nn.Linear(hidden, 4 * hidden)
        self.edge_new = nn.Linear(hidden, 4 * hidden, bias=False)
        self.edge_out = nn.Linear(4 * hidden, 1)

    # --- building blocks -----------------------------------------------------------------
    def _gru_from_sums(self, gi: torch.Tensor, gh_sum: torch.Tensor, h_sum: torch.Tensor) -> torch.Tensor:
        """``GRUCell(x, h)`` given ``gi = W_ih x + b_ih`` and ``gh_sum = W_hh h`` (no bias)."""
        gh = gh_sum + self.gru.bias_hh
        i_r, i_z, i_n = gi.chunk(3, -1)
        h_r, h_z, h_n = gh.chunk(3, -1)
        r = torch.sigmoid(i_r + h_r)
        z = torch.sigmoid(i_z + h_z)
        n = torch.tanh(i_n + r * h_n)
        return (1 - z) * n + z * h_sum

    def _input_gates(self, ops: torch.Tensor) -> torch.Tensor:
        return F.linear(self.embedding(ops), self.gru.weight_ih, self.gru.bias_ih)

    def _finalise(self, fin: _Finalised, v: int, h: torch.Tensor) -> _Finalised:
        msg = self.message(h, v)
        values = (msg, F.linear(msg, self.gru.weight_hh), self.edge_src(h))
        if torch.is_grad_enabled():  # out of place: earlier slices are saved for backward
            index = torch.tensor([v], device=h.device)
            fin.message, fin.gru_hidden, fin.edge_src = (
                t.index_copy(1, index, x[:, None]) for t, x in zip((fin.message, fin.gru_hidden, fin.edge_src), values))
        else:
            fin.message[:, v], fin.gru_hidden[:, v], fin.edge_src[:, v] = values
        return fin

    def _edge_logits(self, edge_src: torch.Tensor, h_new: torch.Tensor) -> torch.Tensor:
        """``edge_src [..., 4h]`` and new-vertex states ``h_new [..., h]`` -> logits ``[...]``."""
        return self.edge_out(torch.relu(edge_src + self.edge_new(h_new))).squeeze(-1)

    def _start(self, z: torch.Tensor) -> tuple[torch.Tensor, _Finalised]:
        bsz = z.shape[0]
        h0 = torch.tanh(self.latent_to_hidden(z))
        x0 = self.embedding(torch.full((bsz,), INPUT_ID, dtype=torch.long, device=z.device))
        h = self.gru(x0, h0)
        fin = _Finalised(bsz, self.max_nodes, self.hidden, self.edge_src.out_features, h)
        return h, self._finalise(fin, 0, h)

    # --- teacher forcing -----------------------------------------------------------------
    def log_likelihood(self, z: torch.Tensor, batch: DAGBatch) -> tuple[torch.Tensor, torch.Tensor]:
        """Log-likelihood of ``batch`` given ``z``, under teacher forcing.

        Shapes: ``z [B, latent]`` -> ``(vertex_ll [B], edge_ll [B])``. Positions after a
        graph's output vertex are masked out.
        """
        n = batch.max_nodes
        if n > self.max_nodes:
            raise ValueError(f"batch has {n} vertex positions, the decoder at most {self.max_nodes}")
        h_last, fin = self._start(z)
        gi_all = self._input_gates(batch.ops)  # [B, N, 3h]
        adj = batch.adj.to(z.dtype)
        vertex_ll = z.new_zeros(z.shape[0])
        edge_ll = z.new_zeros(z.shape[0])
        for v in range(1, n):
            real = (v < batch.n_nodes).to(z.dtype)  # [B]
            log_p = torch.log_softmax(self.add_vertex(h_last), -1)
            target = batch.ops[:, v].clamp(max=log_p.shape[-1] - 1)  # pad -> any id, masked below
            vertex_ll = vertex_ll + real * log_p.gather(1, target[:, None]).squeeze(1)

            a = adj[:, :v, v, None]                                   # [B, v, 1] true in-edges
            contrib_m = a * fin.message[:, :v]                         # [B, v, h]
            contrib_g = a * fin.gru_hidden[:, :v]                      # [B, v, 3h]
            total_m, total_g = contrib_m.sum(1), contrib_g.sum(1)
            # before deciding edge vi -> v, the new vertex has seen the true edges from vi+1..v-1
            seen_m = total_m[:, None] - contrib_m.cumsum(1)
            seen_g = total_g[:, None] - contrib_g.cumsum(1)
            states = self._gru_from_sums(gi_all[:, v, None], seen_g, seen_m)  # [B, v, h]
            logits = self._edge_logits(fin.edge_src[:, :v], states)           # [B, v]
            bce = F.binary_cross_entropy_with_logits(logits, a.squeeze(-1), reduction="none").sum(1)
            edge_ll = edge_ll - real * bce

            h_last = self._gru_from_sums(gi_all[:, v], total_g, total_m)
            if v < n - 1:
                fin = self._finalise(fin, v, h_last)
        return vertex_ll, edge_ll

    # --- generation ----------------------------------------------------------------------
    @torch.no_grad()
    def generate(self, z: torch.Tensor, stochastic: bool = False,
                 generator: torch.Generator | None = None) -> DAGBatch:
        """Decode ``z [B, latent]`` into a padded batch of DAGs, all graphs at once.

        ``stochastic`` samples each vertex type and edge from the predicted distribution;
        otherwise the most likely choice is taken. No host-device synchronisation.
        """
        bsz, n, device = z.shape[0], self.max_nodes, z.device
        pad = self.embedding.num_ops
        h_last, fin = self._start(z)
        ops = torch.full((bsz, n), pad, dtype=torch.long, device=device)
        ops[:, 0] = INPUT_ID
        adj = torch.zeros(bsz, n, n, dtype=torch.bool, device=device)
        n_nodes = torch.full((bsz,), n, dtype=torch.long, device=device)
        alive = torch.ones(bsz, dtype=torch.bool, device=device)
        all_types = torch.arange(pad + 1, device=device)
        first_state = self._gru_from_sums(self._input_gates(all_types), z.new_zeros(pad + 1, 3 * self.hidden),
                                          z.new_zeros(pad + 1, self.hidden))  # [num_ops + 1, h]
        first_proj = self.edge_new(first_state)
        for v in range(1, n):
            if v == n - 1:
                new_type = torch.full((bsz,), OUTPUT_ID, dtype=torch.long, device=device)
            else:
                type_logits = self.add_vertex(h_last)
                if stochastic:
                    new_type = torch.multinomial(torch.softmax(type_logits, -1), 1, generator=generator).squeeze(1)
                else:
                    new_type = type_logits.argmax(-1)
            new_type = torch.where(alive, new_type, torch.full_like(new_type, pad))
            ops[:, v] = new_type
            ends = alive & (new_type == OUTPUT_ID)
            loose = ~adj[:, :v, :v].any(-1)  # vertices without successors, [B, v]

            if v == n - 1 and not self.predict_output_edges:  # the forced output: nothing to score
                adj[:, :v, v] = loose & alive[:, None]
                break
            gi = self._input_gates(new_type)
            seen_m = z.new_zeros(bsz, self.hidden)
            seen_g = z.new_zeros(bsz, 3 * self.hidden)
            # before its first edge the new vertex's state depends on its type only
            state, new_proj = first_state[new_type], first_proj[new_type]
            for vi in range(v - 1, -1, -1):
                logit = self.edge_out(torch.relu(fin.edge_src[:, vi] + new_proj)).squeeze(-1)
                if stochastic:
                    edge = torch.rand(logit.shape, generator=generator, device=device) < torch.sigmoid(logit)
                else:
                    edge = logit > 0
                if self.predict_output_edges:
                    edge = edge | (ends & loose[:, vi])
                else:
                    edge = torch.where(ends, loose[:, vi], edge)
                edge = edge & alive
                adj[:, vi, v] = edge
                e = edge.to(z.dtype)[:, None]
                seen_m = seen_m + e * fin.message[:, vi]
                seen_g = seen_g + e * fin.gru_hidden[:, vi]
                state = self._gru_from_sums(gi, seen_g, seen_m)
                if vi > 0:
                    new_proj = self.edge_new(state)
            h_last = state
            fin = self._finalise(fin, v, state)
            n_nodes = torch.where(ends, torch.full_like(n_nodes, v + 1), n_nodes)
            alive = alive & ~ends
        return DAGBatch(ops, adj, n_nodes, pad_id=pad)
