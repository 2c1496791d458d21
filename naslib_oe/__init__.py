"""naslib_oe: graph-based NAS with operation embeddings (Chatzianastasis et al., 2021).

A D-VAE-style graph VAE whose vertex features are learnable operation embeddings, and
Bayesian optimisation in its latent space, on the ENAS, NAS-Bench-201 and NAS-Bench-101
spaces. NASLib is an optional integration (:mod:`naslib_oe.naslib`).
"""
__version__ = "0.1.0"
