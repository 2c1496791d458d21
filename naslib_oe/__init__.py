"""naslib_oe: graph-based NAS with operation embeddings (Chatzianastasis et al., 2021).

A D-VAE-style graph VAE whose vertex features are learnable operation embeddings, and
Bayesian optimisation in its latent space, on the ENAS, NAS-Bench-201 and NAS-Bench-101
spaces. NASLib is an optional integration (:mod:`naslib_oe.naslib`).
"""
import os

__version__ = "0.1.0"

#: set by :func:`hide_known_warnings`, so that the processes a command spawns (the harness's
#: pool workers) hide the same notices from their first import on
QUIET_ENV = "NASLIB_OE_HIDE_KNOWN_WARNINGS"


def hide_known_warnings() -> None:
    """Hide third-party notices that say nothing to our users: PyG and GPyTorch call
    ``torch.jit.script`` at import, and torch warns that it is deprecated. The command line and
    the examples call this before importing them, and child processes inherit it; the library
    itself hides nothing."""
    import warnings

    os.environ[QUIET_ENV] = "1"
    warnings.filterwarnings("ignore", message=r".*torch\.jit\.script.*is deprecated", category=FutureWarning)


if os.environ.get(QUIET_ENV) == "1":
    hide_known_warnings()
