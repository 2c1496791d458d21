"""Models: operation embeddings, graph encoders, the D-VAE decoder and ``GraphVAE``.

Encoders register by name (:func:`register_encoder`); importing this package registers
``dvae`` (D-VAE's GRU encoder), ``dagnn`` (DAGNN's attention layers) and ``gcn`` (torch_geometric GCN).
"""
from naslib_oe.models import encoder_dagnn, encoder_dvae, encoder_gcn  # noqa: F401  (register the encoders)
from naslib_oe.models.decoder import DVAEDecoder
from naslib_oe.models.embedding import OperationEmbedding
from naslib_oe.models.registry import ENCODERS, build_encoder, register_encoder
from naslib_oe.models.vae import GraphVAE, LossTerms, VAEConfig

__all__ = ["OperationEmbedding", "DVAEDecoder", "GraphVAE", "VAEConfig", "LossTerms", "ENCODERS",
           "build_encoder", "register_encoder"]
