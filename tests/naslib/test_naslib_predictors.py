"""NASLib's own predictors behind our Predictor plumbing, and OEPredictor as a NASLib Predictor."""
import numpy as np
import pytest
import torch

from tests.naslib import naslib_or_skip

naslib_or_skip()

from naslib.predictors.predictor import Predictor  # noqa: E402
from naslib.search_spaces import NasBench201SearchSpace  # noqa: E402

from naslib_oe.models import GraphVAE, VAEConfig  # noqa: E402
from naslib_oe.naslib.convert import nb201_op_indices_from_dag  # noqa: E402
from naslib_oe.naslib.predictors import NASLibPredictor  # noqa: E402
from naslib_oe.predictors import OEPredictor  # noqa: E402


@pytest.mark.parametrize("name", ["xgb", "bonas"])
def test_naslib_predictors_on_our_splits(name, nb201_bench):
    y = nb201_bench.column("val_acc", "cifar10")
    make = lambda: NASLibPredictor(name, nb201_bench.space, seed=0).fit(nb201_bench.dags[:30], y[:30])
    pred = make().query(nb201_bench.dags[100:150])
    assert pred.shape == (50,) and np.isfinite(pred).all()
    if name == "xgb":  # seeded through NASLib's global generators
        np.testing.assert_allclose(pred, make().query(nb201_bench.dags[100:150]))


def test_oe_predictor_is_a_naslib_predictor_and_takes_naslib_objects(nb201_bench):
    torch.manual_seed(0)
    predictor = OEPredictor(GraphVAE(nb201_bench.space, VAEConfig(hidden=16, latent=4)))
    assert isinstance(predictor, Predictor)
    archs = []
    for dag in nb201_bench.dags[:20]:
        arch = NasBench201SearchSpace()
        arch.instantiate_model = False
        arch.set_op_indices(nb201_op_indices_from_dag(dag))
        archs.append(arch)
    y = nb201_bench.column("val_acc", "cifar10")[:20]
    np.testing.assert_allclose(predictor.fit(archs, y).query(archs),
                               OEPredictor(predictor.vae).fit(nb201_bench.dags[:20], y).query(nb201_bench.dags[:20]))
