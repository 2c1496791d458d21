"""D-VAE's vertex update, in the form that batches well: ``h_v = GRU(x_v, sum_u m_u)``.

A vertex's GRU hidden input is the *sum* of its predecessors' gated messages ``m_u``, so
the GRU's hidden-side product ``W_hh @ sum(m_u)`` equals ``sum(W_hh @ m_u)``. Each vertex
therefore *sends* ``[m_u; W_hh m_u]`` (``[B, 4h]``) once, when its state is final, and
any later state is a weighted sum of sent vectors followed by elementwise GRU gates. This
is exact; it replaces one ``h x 3h`` product per state by one per vertex, which is what
makes the decoder's teacher forcing and generation cheap. (The encoder needs only each
vertex's final state, so it sums messages and applies ``W_hh`` once per vertex.)
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from naslib_oe.models.message import GatedMessage


def input_gates(gru: nn.GRUCell, x: torch.Tensor) -> torch.Tensor:
    """``[..., d]`` vertex features -> ``W_ih x + b_ih``, ``[..., 3h]``."""
    return F.linear(x, gru.weight_ih, gru.bias_ih)


def sent(gru: nn.GRUCell, message: GatedMessage, h: torch.Tensor, position: int) -> torch.Tensor:
    """What vertex ``position`` in state ``h [B, h]`` sends to its successors: ``[m; W_hh m]``, ``[B, 4h]``."""
    msg = message(h, position)
    return torch.cat([msg, F.linear(msg, gru.weight_hh)], -1)


def gru_from_sums(gru: nn.GRUCell, gi: torch.Tensor, h_sum: torch.Tensor | float,
                  gh_sum: torch.Tensor | float) -> torch.Tensor:
    """``GRUCell(x, h)`` from ``gi = W_ih x + b_ih [..., 3h]``, ``h_sum = h [..., h]`` and ``gh_sum = W_hh h [..., 3h]``.

    ``0.0`` for both sums is a vertex without predecessors.
    """
    i_r, i_z, i_n = gi.chunk(3, -1)
    h_r, h_z, h_n = (gh_sum + gru.bias_hh).chunk(3, -1)
    r = torch.sigmoid(i_r + h_r)
    z = torch.sigmoid(i_z + h_z)
    n = torch.tanh(i_n + r * h_n)
    return n + z * (h_sum - n)  # (1 - z) * n + z * h, with one product fewer


def gru_from_sent(gru: nn.GRUCell, gi: torch.Tensor, sent_sum: torch.Tensor) -> torch.Tensor:
    """:func:`gru_from_sums` from a sum of :func:`sent` vectors, ``[..., 4h]``."""
    h_sum, gh_sum = sent_sum.split((gru.hidden_size, 3 * gru.hidden_size), -1)
    return gru_from_sums(gru, gi, h_sum, gh_sum)
