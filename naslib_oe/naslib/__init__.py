"""The NASLib shell: conversions between NASLib's encodings and ours.

:mod:`naslib_oe.naslib.convert` needs no NASLib; whatever needs NASLib itself imports it
lazily, so that ``import naslib_oe`` works without it.
"""
