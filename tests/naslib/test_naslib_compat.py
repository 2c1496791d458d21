"""The compatibility layer against a real NASLib checkout (Develop, unedited)."""
import collections
import collections.abc
import json

import numpy as np
import pytest
import torch

from tests.naslib import naslib_or_skip

naslib_or_skip()

from naslib_oe import naslib_compat  # noqa: E402


def test_naslib_imports_with_the_shims_in_force():
    import naslib.optimizers  # noqa: F401  (every optimizer and predictor, GP-WL included)
    import naslib.utils
    from naslib.optimizers.discrete.re import optimizer as re_module

    applied = naslib_compat.apply()
    assert "collections_abc" in applied and collections.Iterable is collections.abc.Iterable
    # bound by name in each optimizer module: they must see the numpy-2-safe helper
    assert naslib.utils.count_parameters_in_MB is naslib_compat.count_parameters_in_MB
    assert re_module.count_parameters_in_MB is naslib_compat.count_parameters_in_MB
    net = torch.nn.Sequential(torch.nn.Linear(10, 5), torch.nn.Linear(5, 1))
    assert naslib.utils.count_parameters_in_MB(net) == pytest.approx((55 + 6) / 1e6)


def test_rmse_through_naslib_is_a_number_not_nan():
    from sklearn import metrics

    naslib_compat.apply()
    y, pred = np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 5.0])
    assert metrics.mean_squared_error(y, pred, squared=False) == pytest.approx((4 / 3) ** 0.5)
    assert metrics.mean_squared_error(y, pred) == pytest.approx(4 / 3)


def test_provenance_names_the_checkout():
    text = naslib_compat.provenance()
    assert text.startswith("0.1.0 (") and "shims: " in text and "collections_abc" in text


def test_compare_records_naslib_in_run_json(tmp_path):
    from naslib_oe.config import load_config
    from naslib_oe.harness import compare

    cfg = load_config("configs/nb201.yaml")
    result = compare(cfg, ["naslib-rs"], seeds=1, budget=3, run_dir=tmp_path, progress=False)
    assert not result.failed
    versions = json.loads((tmp_path / "run.json").read_text())["versions"]
    assert versions["naslib"] == naslib_compat.provenance()
