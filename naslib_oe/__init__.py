"""naslib_oe: graph-based NAS with operation embeddings (Chatzianastasis et al., 2021).

A D-VAE-style graph VAE whose vertex features are learnable operation embeddings, and
Bayesian optimisation in its latent space, on the ENAS, NAS-Bench-201 and NAS-Bench-101
spaces. NASLib is an optional integration (:mod:`naslib_oe.naslib`).
"""
import warnings

__version__ = "0.1.0"

#: what every entry point says on Ctrl-C (exit 130), instead of a KeyboardInterrupt traceback
INTERRUPTED = "interrupted; run the same command with --resume to continue"

# PyG and GPyTorch call ``torch.jit.script`` when they are imported, and torch warns that it is
# deprecated: a notice about those libraries, not about anything our users do. It is filtered
# here, at the first import of naslib_oe (so in the CLI, the examples, the benchmarks, the
# Python API and every pool or Ray worker, which imports naslib_oe to run a trial), narrowly:
# this one message, of this one category, raised from torch's own module.
warnings.filterwarnings("ignore", message=r"`torch\.jit\.script` is deprecated", category=FutureWarning,
                        module=r"torch\.jit\._script")
