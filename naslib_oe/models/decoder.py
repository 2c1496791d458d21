"""D-VAE's decoder: grow a DAG vertex by vertex from a latent vector.

At step ``v`` the decoder picks the type of the new vertex from the state of the last
vertex, then decides the edges ``v-1 -> v``, ..., ``0 -> v`` one after another, updating
the new vertex's state after each decision. An ``output`` vertex ends the graph and takes
every vertex without successors (D-VAE's rule); with ``predict_output_edges`` it also takes
its predicted edges, which spaces like NAS-Bench-101 need. The last position is always
``output``.

Everything is batched over graphs. Two exact rewrites keep the work small:

* The new vertex's GRU input is a *sum* of predecessor messages, so its hidden-side
  product ``W_hh @ sum(m_u)`` equals ``sum(W_hh @ m_u)``. Each vertex sends ``[m_u;
  W_hh m_u]`` once, and every intermediate state needs only a weighted sum of those.
* Under teacher forcing, the intermediate states (one per edge decision) are never fed
  back into the recursion: only the final state of each vertex is. The sequential loop
  therefore computes final states alone, and the vertex-type and edge likelihoods of all
  positions are evaluated afterwards in a few large batched products. The state before
  the first edge decision depends on the vertex type only, so its projection is looked up
  in a per-type table.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from naslib_oe.models.embedding import OperationEmbedding
from naslib_oe.models.message import GatedMessage
from naslib_oe.models.propagation import gru_from_sent, gru_from_sums, input_gates, sent
from naslib_oe.spaces.base import INPUT_ID, OUTPUT_ID
from naslib_oe.spaces.dag import DAGBatch


class DVAEDecoder(nn.Module):
    """Decoder of :class:`~naslib_oe.models.vae.GraphVAE`.

    Args:
        embedding: the operation embedding shared with the encoder.
        hidden: vertex state size (501 in the paper).
        latent: size of ``z`` (56 in the paper).
        max_nodes: ``N``, the largest graph it generates.
        predict_output_edges: also decide the output vertex's edges (see module docstring).
        positions: add learned position vectors to the hidden layers of the vertex-type MLP
            (one per position of the vertex to add) and of the edge MLP (one per source and one
            per new-vertex position). Without them (D-VAE), two vertices of one type with the
            same predecessors have equal states, and a new vertex's first edge decisions see only
            its type. In NAS-Bench-201's shallow, fixed wiring that makes both the wiring (1 -> 3
            always, 1 -> 4 never) and the operations (vertices 1, 2 and 4 all read the input
            alone) ambiguous whenever operations repeat.
        latent_skip: also add a projection of ``z`` to those hidden layers. In D-VAE, ``z`` reaches
            vertex ``v`` only through ``v`` GRU steps; on ENAS a decoder trained for 25 minutes
            predicts the first two operations exactly and the last four at chance (log 6 nats
            each), which is the whole of its reconstruction loss. With the skip, every decision
            reads ``z`` directly.
    """

    def __init__(self, embedding: OperationEmbedding, hidden: int, latent: int, max_nodes: int,
                 predict_output_edges: bool = False, positions: bool = False, latent_skip: bool = False):
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
        # edge MLP: [0] by new-vertex (destination) position, [1] by source position; type MLP: by position
        self.edge_position = nn.Parameter(torch.zeros(2, max_nodes, 4 * hidden)) if positions else None
        self.vertex_position = nn.Parameter(torch.zeros(max_nodes, 2 * hidden)) if positions else None
        self.latent_to_type = nn.Linear(latent, 2 * hidden, bias=False) if latent_skip else None
        self.latent_to_edge = nn.Linear(latent, 4 * hidden, bias=False) if latent_skip else None

    # --- building blocks -----------------------------------------------------------------
    def _first_state(self, z: torch.Tensor) -> torch.Tensor:
        """State of the input vertex, ``[B, h]``: D-VAE starts the GRU from ``tanh(W z)``."""
        x0 = self.embedding(torch.full((z.shape[0],), INPUT_ID, dtype=torch.long, device=z.device))
        return self.gru(x0, torch.tanh(self.latent_to_hidden(z)))

    def _type_only_states(self, like: torch.Tensor) -> torch.Tensor:
        """``[num_ops + 1, h]``: a new vertex's state before any edge, one row per type (and pad)."""
        types = torch.arange(self.embedding.num_ops + 1, device=like.device)
        return gru_from_sums(self.gru, input_gates(self.gru, self.embedding(types)), 0.0, 0.0)

    def _edge_logits(self, edge_src: torch.Tensor, new_proj: torch.Tensor) -> torch.Tensor:
        """Source-half ``edge_src [..., 4h]`` and new-vertex half ``new_proj [..., 4h]`` -> ``[...]``."""
        return self.edge_out((edge_src + new_proj).relu_()).squeeze(-1)  # in place: one [..., 4h] buffer fewer

    def _latent_terms(self, z: torch.Tensor) -> tuple[torch.Tensor | float, torch.Tensor | float]:
        """``z [B, latent]`` -> its terms in the type and edge MLPs' hidden layers, ``([B, 2h],
        [B, 4h])``, or zeros without ``latent_skip``."""
        if self.latent_to_type is None:
            return 0.0, 0.0
        return self.latent_to_type(z), self.latent_to_edge(z)

    def _type_logits(self, h: torch.Tensor, position: torch.Tensor | int,
                     latent_term: torch.Tensor | float) -> torch.Tensor:
        """Vertex-type logits ``[..., P, num_ops]`` from the last state ``h [..., P, h]`` for new
        vertices at ``position [P]`` (or one int); ``latent_term`` broadcasts to ``[..., P, 2h]``."""
        first, act, last = self.add_vertex
        hidden = first(h) + latent_term
        if self.vertex_position is not None:
            hidden = hidden + self.vertex_position[position]
        return last(act(hidden))

    def _at_position(self, proj: torch.Tensor, position: torch.Tensor | int, role: int) -> torch.Tensor:
        """``proj [..., P, 4h]`` of vertices at ``position [P]`` (or one int), plus their position
        vectors (``role`` 0: new vertex, 1: source) when ``positions`` is on."""
        if self.edge_position is None:
            return proj
        table = self.edge_position[role]
        return proj + (table[position] if isinstance(position, int) else table.index_select(0, position))

    # --- teacher forcing -----------------------------------------------------------------
    def _teacher_forced(self, z: torch.Tensor,
                        batch: DAGBatch) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Log-probabilities of every decision along each graph's own path (padding not masked).

        Returns ``type_logp [B, n-1]`` (the true type of vertices 1 .. n-1), ``edge_logp [B, P]``
        (the true decision on each edge slot ``src -> dst``), and ``src [P]`` and ``dst [P]``.
        """
        n = batch.max_nodes
        if n > self.max_nodes:
            raise ValueError(f"batch has {n} vertex positions, the decoder at most {self.max_nodes}")
        adj = batch.adj.to(z.dtype)
        gi = input_gates(self.gru, self.embedding(batch.ops))  # [B, N, 3h]
        # the sequential part: final states of vertices 0 .. n-2 (the last one's is never read)
        states = [self._first_state(z)]
        sent_so_far = [sent(self.gru, self.message, states[0], 0)]
        for v in range(1, n - 1):
            total = torch.bmm(adj[:, None, :v, v], torch.stack(sent_so_far, 1)).squeeze(1)  # [B, 4h]
            states.append(gru_from_sent(self.gru, gi[:, v], total))
            sent_so_far.append(sent(self.gru, self.message, states[v], v))
        h = torch.stack(states, 1)    # [B, n-1, h]
        s = torch.stack(sent_so_far, 1)  # [B, n-1, 4h]

        z_type, z_edge = self._latent_terms(z)
        if self.latent_to_type is not None:
            z_type, z_edge = z_type[:, None], z_edge[:, None]  # broadcast over positions / edge slots
        log_p = torch.log_softmax(self._type_logits(h, torch.arange(1, n, device=z.device), z_type), -1)  # vertices 1 .. n-1
        target = batch.ops[:, 1:].clamp(max=log_p.shape[-1] - 1)             # pad -> any id, masked later
        type_logp = log_p.gather(2, target[..., None]).squeeze(2)

        # Edge src -> dst is decided after the new vertex has seen its true edges from src+1 .. dst-1.
        # Pairs are built from index arithmetic alone: boolean masks would sync with the device.
        (first_src, later_src), (first_dst, later_dst) = self._pairs(n, z.device)
        u = torch.arange(n - 1, device=z.device)
        between = (later_src[:, None] < u) & (u < later_dst[:, None])        # [P', n-1]
        seen_weights = adj[:, : n - 1, later_dst].transpose(1, 2) * between  # [B, P', n-1]
        seen = torch.bmm(seen_weights, s)                                     # [B, P', 4h]
        later_proj = self.edge_new(gru_from_sent(self.gru, gi.index_select(1, later_dst), seen))
        # index_select rather than fancy indexing: its backward is a much cheaper index_add
        type_proj = self.edge_new(self._type_only_states(z))                  # [num_ops + 1, 4h]
        first_proj = type_proj.index_select(0, batch.ops[:, 1:].flatten()).view(len(z), n - 1, -1)
        src, dst = torch.cat([first_src, later_src]), torch.cat([first_dst, later_dst])
        logits = self._edge_logits(self._at_position(self.edge_src(h).index_select(1, src), src, 1),
                                   self._at_position(torch.cat([first_proj, later_proj], 1), dst, 0) + z_edge)
        edge_logp = -F.binary_cross_entropy_with_logits(logits, adj[:, src, dst], reduction="none")
        return type_logp, edge_logp, src, dst

    @staticmethod
    def _pairs(n: int, device: torch.device) -> tuple[tuple[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]:
        """Edge slots ``((first_src, later_src), (first_dst, later_dst))`` of ``n`` vertices.

        ``first``: the slots ``dst-1 -> dst``, decided before the new vertex has seen any edge,
        so its state depends on its type only; ``later``: ``dst - src >= 2``.
        """
        first_src = torch.arange(n - 1, device=device)
        later_src, later_dst = torch.triu_indices(n, n, 2, device=device)
        return (first_src, later_src), (first_src + 1, later_dst)

    def log_likelihood(self, z: torch.Tensor, batch: DAGBatch) -> tuple[torch.Tensor, torch.Tensor]:
        """Log-likelihood of ``batch`` given ``z``, under teacher forcing (D-VAE's training loss).

        Shapes: ``z [B, latent]`` -> ``(vertex_ll [B], edge_ll [B])``. Positions after a
        graph's output vertex are masked out.
        """
        type_logp, edge_logp, _, dst = self._teacher_forced(z, batch)
        real = torch.arange(1, batch.max_nodes, device=z.device) < batch.n_nodes[:, None]  # [B, n-1]
        return (type_logp * real).sum(1), (edge_logp * real[:, dst - 1]).sum(1)

    @torch.no_grad()
    def generation_log_prob(self, z: torch.Tensor, batch: DAGBatch) -> torch.Tensor:
        """``[B]``: log-probability that ``generate(z, stochastic=True)`` returns exactly each graph.

        Stochastic generation draws every vertex type and edge independently given the path
        so far, so along a graph's own path its probability is the product of the
        teacher-forced probabilities, except where :meth:`generate` forces a decision: the
        last position is ``output``, and the output vertex takes every vertex without
        successors (all of its edges, unless ``predict_output_edges``). Those decisions have
        probability 1 when the graph follows the rule and 0 when it does not. ``-inf`` marks
        a graph that generation cannot produce.
        """
        type_logp, edge_logp, src, dst = self._teacher_forced(z, batch)
        n, device = batch.max_nodes, z.device
        position = torch.arange(1, n, device=device)
        real = position < batch.n_nodes[:, None]                                   # [B, n-1]
        sampled_type = real & (position < self.max_nodes - 1)
        out = batch.n_nodes - 1                                                    # the output vertex
        ends_right = (batch.ops.gather(1, out[:, None]).squeeze(1) == OUTPUT_ID) & \
            ((batch.ops[:, 1:] != OUTPUT_ID) | ~real | (position == out[:, None])).all(1)
        # a vertex without successors before the output vertex is "loose"
        before_out = torch.arange(n, device=device) < out[:, None]                 # [B, N]
        loose = ~(batch.adj & before_out[:, None, :]).any(-1)                      # [B, N]
        loose_src, true_edge = loose[:, src], batch.adj[:, src, dst]              # [B, P]
        to_out = dst == out[:, None]                                               # [B, P]
        impossible = torch.full_like(edge_logp, float("-inf"))
        if self.predict_output_edges:
            forced = to_out & loose_src                                            # the edge must be there
            edge_terms = torch.where(forced, torch.where(true_edge, 0.0, impossible), edge_logp)
        else:
            edge_terms = torch.where(to_out, torch.where(true_edge == loose_src, 0.0, impossible), edge_logp)
        log_prob = torch.where(sampled_type, type_logp, 0.0).sum(1) + torch.where(real[:, dst - 1], edge_terms, 0.0).sum(1)
        return torch.where(ends_right, log_prob, float("-inf"))

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
        ops = torch.full((bsz, n), pad, dtype=torch.long, device=device)
        ops[:, 0] = INPUT_ID
        adj = torch.zeros(bsz, n, n, dtype=torch.bool, device=device)
        n_nodes = torch.full((bsz,), n, dtype=torch.long, device=device)
        alive = torch.ones(bsz, dtype=torch.bool, device=device)
        first_state = self._type_only_states(z)           # [num_ops + 1, h]
        first_proj = self.edge_new(first_state)
        z_type, z_edge = self._latent_terms(z)
        h_last = self._first_state(z)
        sent_by = [sent(self.gru, self.message, h_last, 0)]  # [m; W_hh m] of each finished vertex, [B, 4h]
        src_half = [self._at_position(self.edge_src(h_last), 0, 1)]  # its edge-MLP source half, [B, 4h]
        for v in range(1, n):
            if v == n - 1:
                new_type = torch.full((bsz,), OUTPUT_ID, dtype=torch.long, device=device)
            else:
                type_logits = self._type_logits(h_last, v, z_type)
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
            gi = input_gates(self.gru, self.embedding(new_type))
            seen = z.new_zeros(bsz, 4 * self.hidden)
            # before its first edge the new vertex's state depends on its type only
            state, new_proj = first_state[new_type], first_proj[new_type]
            for vi in range(v - 1, -1, -1):
                logit = self._edge_logits(src_half[vi], self._at_position(new_proj, v, 0) + z_edge)
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
                seen.addcmul_(edge.to(z.dtype)[:, None], sent_by[vi])
                state = gru_from_sent(self.gru, gi, seen)
                if vi > 0:
                    new_proj = self.edge_new(state)
            h_last = state
            # the last position reads no sent messages unless its edges are predicted
            if v < n - 2 or self.predict_output_edges:
                sent_by.append(sent(self.gru, self.message, state, v))
                src_half.append(self._at_position(self.edge_src(state), v, 1))
            n_nodes = torch.where(ends, torch.full_like(n_nodes, v + 1), n_nodes)
            alive = alive & ~ends
        return DAGBatch(ops, adj, n_nodes, pad_id=pad)
