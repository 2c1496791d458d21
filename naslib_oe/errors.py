"""One error family: every error that naslib_oe raises on purpose derives from :class:`NaslibOEError`.

The CLI catches this base only, so that anything else (a bug) keeps its traceback. The
subclasses also derive from the builtin exception a caller would expect (``ValueError``,
``FileNotFoundError``, ...), so ``except ValueError`` keeps working.
"""
from __future__ import annotations


class NaslibOEError(Exception):
    """Base of every deliberate naslib_oe error; its message says what to do."""


class ConfigError(NaslibOEError, ValueError):
    """A config file or override that cannot be used; the message names the file and key."""


class CheckpointError(NaslibOEError, ValueError):
    """A model or training-state file that cannot be used: missing, corrupt, unsafe or for another space."""


class ZooError(CheckpointError):
    """An unknown ``zoo:`` name, or a zoo file whose sha256 does not match its card."""


class RunFolderError(NaslibOEError, ValueError):
    """A run folder (``compare``, ``search``) that cannot be used as asked: missing, corrupt or unfinished."""


class TrainingDivergedError(NaslibOEError, RuntimeError):
    """A training loss that became NaN or inf; nothing is saved from the diverged weights."""


class NonFiniteError(NaslibOEError, ValueError):
    """Values that must be finite (a GP's inputs or targets, a predictor's labels) hold NaN or inf."""
