"""Runtime shims that let NASLib's Develop branch import and run on Python 3.11, numpy 2 and
scikit-learn >= 1.6, with none of its files edited.

NASLib was written for Python 3.7-3.9, numpy 1 and an older scikit-learn. :func:`apply` is
called before anything here imports NASLib (:func:`naslib_oe.naslib.runner.require_naslib`
and the optimizer base class do it); it is idempotent and returns the names of the shims in
force, which ``run.json`` records. Each shim restores an old name with its old meaning, so
code that does not use the old name is unaffected:

* ``collections_abc``: ``collections.Iterable`` (and the other ABCs Python 3.10 removed from
  ``collections``) as aliases of ``collections.abc``. NASLib's GP-WL predictor reads them at
  import, so without it nothing under ``naslib.optimizers`` imports.
* ``numpy_aliases``: ``np.int``, ``np.float`` and ``np.bool`` as the builtins (SemiNAS).
* ``sklearn_squared``: ``sklearn.metrics.mean_squared_error(..., squared=False)`` as the RMSE.
  Without it every predictor metric of NASLib silently becomes NaN inside a bare ``except``.
* ``count_parameters``: ``naslib.utils.count_parameters_in_MB`` without ``np.sum`` over a
  generator, which numpy 2 refuses; NASLib's ``Trainer`` calls it for every optimizer.

Not shimmed (they sit inside single predictors and need their code changed): GP-WL builds a
ragged ``np.array`` (pass ``dtype=object`` in ``gpwl_utils/vertex_histogram.py``), and
SemiNAS builds a ``LongTensor`` from numpy floats (cast with ``.astype(int)``). NASLib's
``gpwl`` (on NB201) and ``bp`` are broken whatever the Python.
"""
from __future__ import annotations

import collections
import collections.abc
import importlib.util
import subprocess
from pathlib import Path
from typing import Any, Callable

#: ABCs Python 3.10 removed from ``collections`` that NASLib still reads there
COLLECTIONS_ABCS = ("Callable", "Iterable", "Iterator", "Mapping", "MutableMapping", "Sequence", "Set")
#: numpy 1 aliases of builtins that numpy 2 removed
NUMPY_ALIASES = {"int": int, "float": float, "bool": bool, "object": object}

_applied: list[str] = []


def _collections_abc() -> bool:
    missing = [name for name in COLLECTIONS_ABCS if not hasattr(collections, name)]
    for name in missing:
        setattr(collections, name, getattr(collections.abc, name))
    return bool(missing)


def _numpy_aliases() -> bool:
    import numpy as np

    missing = [name for name in NUMPY_ALIASES if name not in vars(np)]
    for name in missing:
        setattr(np, name, NUMPY_ALIASES[name])
    return bool(missing)


def _rmse_capable(mse: Callable[..., Any]) -> Callable[..., Any]:
    """``mean_squared_error`` that also takes the ``squared`` flag scikit-learn 1.6 dropped."""

    def mean_squared_error(y_true, y_pred, *args, squared: bool = True, **kwargs):
        value = mse(y_true, y_pred, *args, **kwargs)
        return value if squared else value ** 0.5

    mean_squared_error.__doc__ = mse.__doc__
    mean_squared_error.naslib_oe_shim = True
    return mean_squared_error


def _sklearn_squared() -> bool:
    import inspect

    import sklearn.metrics

    mse = sklearn.metrics.mean_squared_error
    # not ``__wrapped__``: scikit-learn's own parameter validation already sets that
    if getattr(mse, "naslib_oe_shim", False) or "squared" in inspect.signature(mse).parameters:
        return False
    sklearn.metrics.mean_squared_error = _rmse_capable(mse)
    return True


def count_parameters_in_MB(model: Any) -> float:
    """NASLib's helper: millions of parameters outside auxiliary heads."""
    return sum(v.numel() for name, v in model.named_parameters() if "auxiliary" not in name) / 1e6


def _count_parameters() -> bool:
    import naslib.utils  # before any optimizer module binds the name: they import it by name

    if naslib.utils.count_parameters_in_MB is count_parameters_in_MB:
        return False
    naslib.utils.count_parameters_in_MB = count_parameters_in_MB
    return True


#: name -> shim; each returns whether it changed anything
SHIMS: dict[str, Callable[[], bool]] = {
    "collections_abc": _collections_abc, "numpy_aliases": _numpy_aliases,
    "sklearn_squared": _sklearn_squared, "count_parameters": _count_parameters,
}


def apply() -> tuple[str, ...]:
    """Put every shim in force (once) when NASLib is installed; returns the names of those
    that changed something. Without NASLib nothing is touched.

    The ``count_parameters`` shim imports ``naslib.utils``; an import error there is left to
    the caller, which reports NASLib as not importable.
    """
    if importlib.util.find_spec("naslib") is None:
        return tuple(_applied)
    for name, shim in SHIMS.items():
        if name not in _applied and shim():
            _applied.append(name)
    return tuple(_applied)


def provenance() -> str:
    """What NASLib this process would run, for ``run.json``: ``not installed``, or its version,
    the git commit of its checkout (``+modified`` when its files differ from the commit), and
    the shims of this module in force, e.g. ``0.1.0 (git 0b51bc18; shims: collections_abc, ...)``."""
    spec = importlib.util.find_spec("naslib")
    if spec is None or not spec.submodule_search_locations:
        return "not installed"
    root = Path(next(iter(spec.submodule_search_locations)))
    version_file = root / "__version__.py"
    version = version_file.read_text().split("=")[-1].strip().strip("\"'") if version_file.is_file() else "unknown"
    git = ["git", "-C", str(root.parent)]
    try:
        commit = subprocess.run([*git, "rev-parse", "--short=8", "HEAD"], capture_output=True, text=True,
                                timeout=10).stdout.strip()
        dirty = subprocess.run([*git, "status", "--porcelain", "--", "naslib"], capture_output=True, text=True,
                               timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        commit, dirty = "", ""
    where = f"git {commit}{'+modified' if dirty else ''}" if commit else f"{root.parent}, not a git checkout"
    return f"{version} ({where}; shims: {', '.join(applied()) or 'none'})"


def applied() -> tuple[str, ...]:
    """The shims in force in this process (empty when NASLib was never asked for)."""
    return tuple(_applied)
