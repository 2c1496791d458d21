"""``predictor_type: oe`` / ``oe_onehot`` inside NASLib's Ensemble, BANANAS and NPENAS."""
import numpy as np
import pytest

from tests.naslib import naslib_or_skip

naslib_or_skip()

from naslib.predictors.ensemble import Ensemble  # noqa: E402
from naslib.predictors.trees import XGBoost  # noqa: E402
from naslib.search_spaces import NasBench201SearchSpace  # noqa: E402

from naslib_oe.naslib import predictor_types  # noqa: E402
from naslib_oe.naslib.dataset_api import nb201_dataset_api  # noqa: E402


def nb201_archs(n, seed):
    import random

    random.seed(seed)
    np.random.seed(seed)
    api = nb201_dataset_api()
    archs = []
    for _ in range(n):
        arch = NasBench201SearchSpace()
        arch.instantiate_model = False
        arch.sample_random_architecture(dataset_api=api)
        archs.append(arch)
    from naslib.search_spaces.core.query_metrics import Metric

    return archs, np.array([a.query(Metric.VAL_ACCURACY, "cifar10", dataset_api=api) for a in archs])


@pytest.mark.parametrize("predictor_type", ["oe", "oe_ft"])
def test_oe_members_carry_the_gp_mean_and_std(nb201_bench, predictor_type):
    xtrain, ytrain = nb201_archs(30, 0)
    xtest, _ = nb201_archs(10, 1)
    with predictor_types.oe_predictor_types():
        ensemble = Ensemble(predictor_type=predictor_type, num_ensemble=3, ss_type="nasbench201")
        ensemble.fit(xtrain, ytrain)
        members = ensemble.query(xtest)
        assert members.shape == (3, 10)
        mean, std = ensemble.ensemble[0].shared.predictor.query_with_uncertainty(xtest)
        np.testing.assert_allclose(members.mean(axis=0), mean, atol=1e-9)
        np.testing.assert_allclose(members.std(axis=0), std, atol=1e-9)  # NASLib's acquisitions use np.std
        assert (std > 0).all()
        assert ensemble.ensemble[0].shared is ensemble.ensemble[2].shared  # one GP fit, not three
        predictor = ensemble.ensemble[0].shared.predictor
        # oe_ft refits the zoo VAE's input map on the training set (a copy; the zoo model is shared)
        assert (predictor.input_map is not None) == (predictor_type == "oe_ft")


def test_registration_leaves_other_types_alone_and_is_undone():
    before = Ensemble.get_ensemble
    was = predictor_types.registered()
    predictor_types.unregister()
    with predictor_types.oe_predictor_types():
        xgb = Ensemble(predictor_type="xgb", num_ensemble=2, ss_type="nasbench201").get_ensemble()
        assert len(xgb) == 2 and all(type(m) is XGBoost for m in xgb)
        onehot = Ensemble(predictor_type="oe_onehot", num_ensemble=1, ss_type="nasbench201").get_ensemble()
        assert "nb201-dvae" in predictor_types.zoo_model_for("nasbench201", "onehot")
        assert onehot[0].offset == 0.0
    assert not predictor_types.registered()
    with pytest.raises(KeyError):
        Ensemble(predictor_type="oe", num_ensemble=1, ss_type="nasbench201").get_ensemble()
    if was:
        predictor_types.register()
    assert Ensemble.get_ensemble is before or was


@pytest.mark.parametrize("optimizer", ["naslib-bananas:oe", "naslib-npenas:oe"])
def test_bananas_and_npenas_search_with_oe(optimizer, tmp_path):
    from naslib_oe.config import load_config
    from naslib_oe.harness import compare
    from naslib_oe.harness.trajectory import read_trajectory, trial_paths

    cfg = load_config("configs/nb201.yaml", ["search.num_init=6", "search.k=4", "search.num_candidates=20"])
    result = compare(cfg, [optimizer], seeds=1, budget=14, run_dir=tmp_path, progress=False)
    assert not result.failed, [o.error for o in result.failed]
    records = read_trajectory(trial_paths(tmp_path, optimizer, 0)[0])
    assert len(records) == 14  # 6 random, then two rounds chosen through the oe ensemble


def test_predictor_variants_are_checked_before_any_trial(tmp_path):
    from naslib_oe.config import load_config
    from naslib_oe.errors import ConfigError
    from naslib_oe.harness import compare
    from naslib_oe.naslib.wrapped import NASLibWrapped

    cfg = load_config("configs/nb201.yaml")
    with pytest.raises(ConfigError, match="has no predictor_type 'nope'"):
        compare(cfg, ["naslib-bananas:xgb", "naslib-bananas:nope"], seeds=1, budget=5, run_dir=tmp_path)
    assert not (tmp_path / "trials").exists()
    with pytest.raises(ConfigError, match="unknown optimizers"):
        compare(cfg, ["naslib-re:xgb"], seeds=1, budget=5, run_dir=tmp_path)
    with pytest.raises(ConfigError, match="naslib-re has no predictor"):
        NASLibWrapped("re:xgb", cfg)
    bananas = NASLibWrapped("bananas:xgb", cfg)
    assert bananas.name == "naslib-bananas:xgb" and bananas.inner.predictor_type == "xgb"
