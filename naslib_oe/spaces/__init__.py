"""Search spaces: the canonical :class:`ArchDAG` and one codec per space.

Use :func:`get_space` to get a codec by name (``enas``, ``nasbench201``/``nb201``,
``nasbench101``/``nb101``).
"""
from naslib_oe.spaces.base import InvalidArchitecture, SearchSpace
from naslib_oe.spaces.dag import ArchDAG, DAGBatch
from naslib_oe.spaces.enas import EnasSpace
from naslib_oe.spaces.nb101 import NB101Space, nb101_spec_hash
from naslib_oe.spaces.nb201 import NB201Space

_SPACES = {"enas": EnasSpace, "nasbench201": NB201Space, "nasbench101": NB101Space}
_ALIASES = {"nb201": "nasbench201", "nb101": "nasbench101", "enas_macro": "enas"}


def canonical_space_name(name: str) -> str:
    """Resolve aliases (``nb201`` -> ``nasbench201``); raises ``KeyError`` for unknown names."""
    key = _ALIASES.get(name.lower(), name.lower())
    if key not in _SPACES:
        raise KeyError(f"unknown search space {name!r}; expected one of {sorted(_SPACES) + sorted(_ALIASES)}")
    return key


def get_space(name: str) -> SearchSpace:
    """A codec for the named search space."""
    return _SPACES[canonical_space_name(name)]()


__all__ = [
    "ArchDAG", "DAGBatch", "SearchSpace", "InvalidArchitecture", "EnasSpace", "NB201Space",
    "NB101Space", "nb101_spec_hash", "get_space", "canonical_space_name",
]
