"""Operation embeddings: the vertex features of the graph VAE (the paper's contribution).

``OperationEmbedding(num_ops, dim)`` is a learnable table trained jointly with the VAE
(DVAE-EMB). The one-hot baseline (plain D-VAE) is the same module with the table frozen
to the identity, so the ablation changes one flag.
"""
from __future__ import annotations

import torch
from torch import nn


class OperationEmbedding(nn.Module):
    """Maps operation ids to vectors.

    Args:
        num_ops: vocabulary size. Id ``num_ops`` is padding and maps to zeros.
        dim: embedding size (ignored for one-hot, where it is ``num_ops``).
        learned: ``True`` for a trainable embedding, ``False`` for a frozen one-hot identity.

    Shapes:
        input ``[*]`` long ids -> output ``[*, dim]``.
    """

    def __init__(self, num_ops: int, dim: int = 8, learned: bool = True):
        super().__init__()
        self.num_ops = num_ops
        self.learned = learned
        self.dim = dim if learned else num_ops
        self.table = nn.Embedding(num_ops + 1, self.dim, padding_idx=num_ops)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        with torch.no_grad():
            if self.learned:
                nn.init.normal_(self.table.weight)
            else:
                self.table.weight.copy_(torch.eye(self.num_ops + 1, self.num_ops))
            self.table.weight[self.num_ops].zero_()
        self.table.weight.requires_grad_(self.learned)

    def forward(self, ops: torch.Tensor) -> torch.Tensor:
        return self.table(ops)

    @property
    def vectors(self) -> torch.Tensor:
        """``[num_ops, dim]``: the embedding of every operation (no padding row)."""
        return self.table.weight[: self.num_ops]

    def extra_repr(self) -> str:
        return f"num_ops={self.num_ops}, dim={self.dim}, learned={self.learned}"
