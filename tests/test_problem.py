"""One problem for every entry point: the prior comes from the benchmark, a surrogate is fit
once per run (from the config's seed) and stored without pickle, and every trial uses both."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingRegressor

from naslib_oe import pipeline
from naslib_oe.benchmarks import Metric, TabularBenchmark
from naslib_oe.benchmarks.surrogate import SURROGATE_FILE, TreeEnsembleSurrogate, stored_table_surrogate
from naslib_oe.benchmarks.tree_arrays import TreeArrays
from naslib_oe.config import RunConfig, load_config
from naslib_oe.errors import CheckpointError
from naslib_oe.harness.run import run_problem
from naslib_oe.models import GraphVAE, VAEConfig
from naslib_oe.optimizers import build_optimizer
from naslib_oe.problem import build_problem


def test_tree_arrays_predict_as_sklearn_and_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    x = (rng.random((800, 30)) < 0.5).astype(np.float64)
    x[::50, 3] = np.nan  # missing values follow each split's learned direction
    y = 3 * np.nan_to_num(x[:, 0]) - 2 * x[:, 1] * x[:, 2] + rng.normal(0, 0.1, 800)
    members = [HistGradientBoostingRegressor(max_iter=40, random_state=i).fit(x, y + i) for i in range(3)]
    trees = TreeArrays.from_sklearn(members)
    expected = np.stack([m.predict(x) for m in members])
    np.testing.assert_allclose(trees.predict_members(x), expected, rtol=0, atol=1e-10)
    trees.save(tmp_path / "t.safetensors", {"note": "x"})
    loaded, meta = TreeArrays.load(tmp_path / "t.safetensors")
    assert meta == {"note": "x"}
    np.testing.assert_array_equal(loaded.predict_members(x), trees.predict_members(x))
    (tmp_path / "junk.safetensors").write_bytes(b"not a tensor file")
    with pytest.raises(CheckpointError, match="not a stored naslib_oe surrogate"):
        TreeArrays.load(tmp_path / "junk.safetensors")


@pytest.fixture(scope="module")
def small_enas(enas_bench):
    """600 ENAS rows under the ENAS name: a surrogate fits in seconds."""
    rows = range(600)
    return TabularBenchmark(enas_bench.space, [enas_bench.dags[i] for i in rows],
                            {("cifar10", Metric.VAL_ACCURACY, None): enas_bench.column()[:600]},
                            name=enas_bench.name, source="first 600 rows", default_dataset="cifar10")


def test_surrogate_is_fit_once_per_run_and_reused(small_enas, enas_bench, nb201_bench, tmp_path, monkeypatch):
    outside = enas_bench.dags[5000:5010]  # not in the small table: the surrogate answers
    first, quality = stored_table_surrogate(small_enas, "cifar10", 0, tmp_path)
    assert (tmp_path / SURROGATE_FILE).is_file()
    import naslib_oe.benchmarks.surrogate as surrogate_module

    def no_refit(*args, **kwargs):
        raise AssertionError("a stored surrogate must not be fit again")

    monkeypatch.setattr(surrogate_module, "fit_table_surrogate", no_refit)
    again, quality_again = stored_table_surrogate(small_enas, "cifar10", 0, tmp_path)
    np.testing.assert_array_equal(first.predict(outside), again.predict(outside))
    assert quality_again == quality
    with pytest.raises(CheckpointError, match="seed"):
        stored_table_surrogate(small_enas, "cifar10", 1, tmp_path)
    with pytest.raises(CheckpointError, match="surrogate of 'enas'"):
        TreeEnsembleSurrogate.load(tmp_path / SURROGATE_FILE, nb201_bench.space)


def test_two_trials_of_one_enas_run_score_an_architecture_identically(small_enas, enas_bench, tmp_path, monkeypatch):
    import naslib_oe.harness.run as run_module

    monkeypatch.setattr(run_module, "_benchmark", lambda space, path: small_enas)
    cfg = load_config("configs/enas.yaml", ["search.oe_dvae.evaluator=surrogate"])
    outside = enas_bench.dags[7000]
    run = RunConfig.parse(cfg)
    scores = {run_problem(tmp_path, run).evaluator.query(outside) for _ in range(2)}
    assert len(scores) == 1 and next(iter(scores)).surrogate
    assert (tmp_path / SURROGATE_FILE).is_file()


def test_the_prior_comes_from_the_benchmark(enas_bench, nb201_bench):
    problem = build_problem(enas_bench)
    train, _ = enas_bench.dvae_split()
    assert len(problem.prior.dags) == len(train) == 17118
    assert list(problem.prior.values) == [r.accuracy for r in train]
    left_out = build_problem(enas_bench, use_prior=False)
    assert left_out.prior is None and "use_prior" in left_out.prior_note
    nb201 = build_problem(nb201_bench)
    assert nb201.prior is None and "no training split" in nb201.prior_note


def test_compare_search_and_oe_dvae_use_the_same_prior(enas_bench, tmp_path):
    cfg = load_config("configs/enas.yaml", ["search.oe_dvae.evaluator=table", "search.oe_dvae.bo.batch_size=2", "search.oe_dvae.bo.decode_samples=5",
                                            "search.oe_dvae.bo.gp.steps=20", "search.oe_dvae.bo.raw_samples=16",
                                            "search.oe_dvae.bo.num_restarts=1"])
    trial_problem = run_problem(tmp_path, RunConfig.parse(cfg))  # what every compare trial adapts to
    search_problem = pipeline.configured_problem(pipeline.setup("configs/enas.yaml", ["search.oe_dvae.evaluator=table"]))
    space = enas_bench.space
    assert [space.hash(d) for d in trial_problem.prior.dags] == [space.hash(d) for d in search_problem.prior.dags]
    assert list(trial_problem.prior.values) == list(search_problem.prior.values)
    tiny = GraphVAE(space, VAEConfig(hidden=16, latent=4, op_embedding_dim=4))
    opt = build_optimizer("oe_dvae", cfg, seed=0, vae=tiny)
    opt.adapt_search_space(trial_problem)
    assert opt.bo._prior is trial_problem.prior  # the GP is fit on the training table too
    first = opt.propose()
    assert space.hash(first) not in {space.hash(d) for d in trial_problem.prior.dags}
