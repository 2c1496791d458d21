"""Search spaces: the canonical :class:`ArchDAG` and one codec per space.

Use :func:`get_space` to get a codec by name (``enas``, ``nasbench201``/``nb201``,
``nasbench101``/``nb101``); :mod:`naslib_oe.spaces.registry` holds one
:class:`SpaceDescriptor` per space (codec and benchmark table), read by every layer.
"""
from naslib_oe.spaces.base import InvalidArchitecture, SearchSpace
from naslib_oe.spaces.dag import ArchDAG, DAGBatch
from naslib_oe.spaces.enas import EnasSpace
from naslib_oe.spaces.nb101 import NB101Space, nb101_spec_hash
from naslib_oe.spaces.nb201 import NB201Space
from naslib_oe.spaces.registry import (
    SpaceDescriptor, descriptor, descriptors, get_space, known_spaces, register_space,
)


def canonical_space_name(name: str) -> str:
    """Resolve aliases (``nb201`` -> ``nasbench201``); raises ``KeyError`` for unknown names."""
    return descriptor(name).name


__all__ = [
    "ArchDAG", "DAGBatch", "SearchSpace", "InvalidArchitecture", "EnasSpace", "NB201Space",
    "NB101Space", "nb101_spec_hash", "get_space", "canonical_space_name", "SpaceDescriptor", "descriptor",
    "descriptors", "known_spaces", "register_space",
]
