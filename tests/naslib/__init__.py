"""Integration tests against a real NASLib install; every module here skips without NASLib."""
import pytest

from naslib_oe.naslib.runner import NASLibMissing, require_naslib


def naslib_or_skip() -> None:
    """Skip the calling test module, with the reason, when NASLib cannot be imported."""
    try:
        require_naslib()
    except NASLibMissing as err:
        pytest.skip(str(err).splitlines()[0], allow_module_level=True)
