"""Parts of the NASLib compatibility layer that need no NASLib."""
import numpy as np
import pytest
from sklearn.metrics import mean_squared_error

from naslib_oe import naslib_compat


def test_rmse_capable_mean_squared_error():
    mse = naslib_compat._rmse_capable(mean_squared_error)
    y, pred = np.array([0.0, 0.0]), np.array([3.0, 4.0])
    assert mse(y, pred) == pytest.approx(12.5)
    assert mse(y, pred, squared=False) == pytest.approx(12.5 ** 0.5)
    assert mse.naslib_oe_shim


def test_sklearn_squared_shim_is_idempotent(monkeypatch):
    import sklearn.metrics

    monkeypatch.setattr(sklearn.metrics, "mean_squared_error", mean_squared_error)
    first = naslib_compat._sklearn_squared()
    shimmed = sklearn.metrics.mean_squared_error
    assert naslib_compat._sklearn_squared() is False and sklearn.metrics.mean_squared_error is shimmed
    y, pred = np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 5.0])
    # whether or not this scikit-learn still has the flag, the RMSE comes back
    assert shimmed(y, pred, squared=False) == pytest.approx((4 / 3) ** 0.5)
    assert first == (shimmed is not mean_squared_error)


def test_without_naslib_nothing_is_touched(monkeypatch):
    monkeypatch.setattr(naslib_compat.importlib.util, "find_spec", lambda name: None)
    touched = []
    monkeypatch.setattr(naslib_compat, "SHIMS", {"probe": lambda: touched.append(1) or True})
    assert naslib_compat.apply() == naslib_compat.applied()
    assert touched == [] and naslib_compat.provenance() == "not installed"
