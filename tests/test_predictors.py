"""Predictors with NASLib's Predictor contract, and the predictor comparison."""
import numpy as np
import pytest
import torch

from naslib_oe.cli import main as cli_main
from naslib_oe.models import GraphVAE, VAEConfig
from naslib_oe.naslib import EnasSearchSpace
from naslib_oe.pipeline import comparison_vae, setup
from naslib_oe.predictors import AdjacencyPredictor, AdjacencyTreesPredictor, OEPredictor, Score, summarize
from naslib_oe.predictors.comparison import best_per_size, compare_predictors, markdown_table, score
from naslib_oe.spaces import NB201Space
from naslib_oe.training import TrainConfig

NASLIB_DATA_REQS = {"requires_partial_lc", "metric", "requires_hyperparameters", "hyperparams", "unlabeled",
                    "unlabeled_factor"}


@pytest.fixture(scope="module")
def tiny_vae(nb201_bench):
    torch.manual_seed(0)
    return GraphVAE(nb201_bench.space, VAEConfig(hidden=16, latent=4))


@pytest.fixture(scope="module")
def data(nb201_bench):
    y = nb201_bench.column("val_acc", "cifar10")
    return nb201_bench.dags[:40], y[:40], nb201_bench.dags[40:70], y[40:70]


@pytest.mark.parametrize("make", [
    lambda vae, space: OEPredictor(vae, head="gp"),
    lambda vae, space: OEPredictor(vae, head="mlp", seed=3),
    lambda vae, space: OEPredictor(vae, head="gp", finetune={"params": "embedding+head", "steps": 3}),
    lambda vae, space: AdjacencyPredictor(space),
    lambda vae, space: AdjacencyTreesPredictor(space),
], ids=["oe-gp", "oe-mlp", "oe-gp-refit", "adj-gp", "adj-gbt"])
def test_predictor_contract(make, tiny_vae, data, nb201_bench):
    xtrain, ytrain, xtest, _ = data
    predictor = make(tiny_vae, nb201_bench.space)
    assert NASLIB_DATA_REQS <= set(predictor.get_data_reqs())
    with pytest.raises(RuntimeError, match="before fit"):
        predictor.query(xtest)
    assert predictor.fit(xtrain, ytrain) is predictor
    pred = predictor.query(xtest)
    mean, std = predictor.query_with_uncertainty(xtest)
    assert pred.shape == mean.shape == std.shape == (30,)
    assert np.isfinite(mean).all() and (std >= 0).all()
    np.testing.assert_allclose(pred, mean)


def test_predictor_input_errors(tiny_vae, data):
    xtrain, ytrain, _, _ = data
    with pytest.raises(ValueError, match="at least 2"):
        OEPredictor(tiny_vae).fit(xtrain[:5], ytrain[:4])
    with pytest.raises(ValueError, match="NaN"):
        OEPredictor(tiny_vae).fit(xtrain[:3], [1.0, float("nan"), 2.0])
    with pytest.raises(ValueError, match="unknown head"):
        OEPredictor(tiny_vae, head="forest")
    with pytest.raises(ValueError, match="needs a vae"):
        OEPredictor()


def test_same_seed_same_predictions(tiny_vae, data, nb201_bench):
    xtrain, ytrain, xtest, _ = data
    for make in (lambda: OEPredictor(tiny_vae, head="mlp", seed=1), lambda: AdjacencyTreesPredictor(nb201_bench.space, seed=1)):
        np.testing.assert_array_equal(make().fit(xtrain, ytrain).query(xtest), make().fit(xtrain, ytrain).query(xtest))


def test_a_refit_predictor_embeds_through_its_refit_and_leaves_the_vae_alone(tiny_vae, data):
    xtrain, ytrain, xtest, _ = data
    before = {k: v.clone() for k, v in tiny_vae.state_dict().items()}
    refit = OEPredictor(tiny_vae, finetune={"params": "embedding", "steps": 10, "lr": 0.05, "penalty": 0.0}).fit(xtrain, ytrain)
    frozen = OEPredictor(tiny_vae).fit(xtrain, ytrain)
    assert all(torch.equal(before[k], v) for k, v in tiny_vae.state_dict().items())
    assert not torch.equal(refit.input_map.embedding.table.weight, tiny_vae.embedding.table.weight)
    assert not torch.allclose(refit.embed(xtest), frozen.embed(xtest))  # queries go through the refit map
    assert frozen.input_map is None and not np.allclose(refit.query(xtest), frozen.query(xtest))


def test_oe_predictor_pretrains_without_labels():
    predictor = OEPredictor(space=NB201Space(), model=VAEConfig(hidden=16, latent=4),
                            train=TrainConfig(epochs=1, batch_size=32), pretrain_samples=64)
    assert predictor.vae is None
    space = NB201Space()
    dags = space.sample_many(10, np.random.default_rng(0))
    predictor.fit(dags, np.arange(10.0))
    assert predictor.vae is not None and predictor.query(dags).shape == (10,)


def test_predictors_accept_naslib_architecture_objects(enas_bench):
    dags = enas_bench.dags[:20]
    y = enas_bench.column("val_acc")[:20]
    objects = [EnasSearchSpace(d) for d in dags]
    a = AdjacencyTreesPredictor(enas_bench.space).fit(objects, y).query(objects)
    b = AdjacencyTreesPredictor(enas_bench.space).fit(dags, y).query(dags)
    np.testing.assert_array_equal(a, b)


def test_score_on_a_hand_made_case():
    s = score(np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.0, 2.0, 4.0, 3.0]))
    assert s["kendall"] == pytest.approx(4 / 6)  # 5 concordant, 1 discordant pair
    assert s["spearman"] == pytest.approx(0.8)
    assert s["rmse"] == pytest.approx(np.sqrt(0.5))
    assert score(np.ones(4), np.array([1.0, 2.0, 4.0, 3.0]))["kendall"] == 0.0


def test_summary_table_and_best_on_a_hand_made_case():
    rows = [Score("a", 10, 0, 0.2, 0.3, 0.3, 2.0, 0.1), Score("a", 10, 1, 0.4, 0.5, 0.5, 4.0, 0.1),
            Score("b", 10, 0, 0.5, 0.6, 0.6, 5.0, 0.1), Score("b", 10, 1, 0.5, 0.6, 0.6, 5.0, 0.1)]
    summary = {(r["predictor"], r["train_size"]): r for r in summarize(rows)}
    assert summary["a", 10]["kendall_mean"] == pytest.approx(0.3)
    assert summary["a", 10]["kendall_std"] == pytest.approx(0.1)
    assert summary["b", 10]["rmse_std"] == 0.0
    assert best_per_size(list(summary.values())) == {10: "b"}
    assert best_per_size(list(summary.values()), "rmse") == {10: "a"}  # lower is better
    table = markdown_table(list(summary.values()))
    assert "| a | 0.300 ± 0.100 |" in table and "| b | **0.500 ± 0.000** |" in table


def test_comparison_uses_one_test_set_and_is_reproducible(nb201_bench):
    y = nb201_bench.column("val_acc", "cifar10")
    factories = {"adj_gbt": lambda seed: AdjacencyTreesPredictor(nb201_bench.space, seed=seed, members=2)}
    run = lambda: compare_predictors(nb201_bench.dags, y, factories, [10, 20], seeds=[0, 1], test_size=200,
                                     progress=False)
    first, second = run(), run()
    assert [(s.train_size, s.seed) for s in first] == [(10, 0), (10, 1), (20, 0), (20, 1)]
    assert [(s.kendall, s.rmse) for s in first] == [(s.kendall, s.rmse) for s in second]
    with pytest.raises(ValueError, match="exceed"):
        compare_predictors(nb201_bench.dags[:300], y[:300], factories, [150], seeds=[0], test_size=200)


def test_predictors_command_writes_table_and_plot(tmp_path):
    out = tmp_path / "pred"
    assert cli_main(["predictors", "--config", "configs/nb201.yaml", "--predictors", "adj_gp,adj_gbt",
                     "--train-sizes", "10,20", "--seeds", "2", "--test-size", "100", "--out", str(out)]) == 0
    assert {p.name for p in out.iterdir()} == {"scores.csv", "summary.md", "predictors.png"}
    assert len((out / "scores.csv").read_text().splitlines()) == 1 + 2 * 2 * 2
    assert "best by Kendall tau: n=10:" in (out / "summary.md").read_text()
    assert cli_main(["predictors", "--config", "configs/nb201.yaml", "--predictors", "nope", "--out", str(out)]) == 2


@pytest.mark.parametrize("option, value", [("--train-sizes", "0"), ("--train-sizes", "1,10"), ("--train-sizes", "x"),
                                           ("--seeds", "0"), ("--test-size", "-3")])
def test_predictors_refuses_bad_sizes_before_any_work(option, value, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli_main(["predictors", "--config", "configs/nb201.yaml", option, value, "--out", str(tmp_path / "p")])
    assert exit_info.value.code == 2 and option in capsys.readouterr().err
    assert not (tmp_path / "p").exists()


def test_comparison_vae_checks_the_embedding(tmp_path, tiny_vae):
    path = tiny_vae.save(tmp_path / "learned.pt")
    s = setup("configs/nb201.yaml")
    assert comparison_vae(s, "learned", path).config.op_embedding == "learned"
    with pytest.raises(ValueError, match="dvae predictor needs onehot"):
        comparison_vae(s, "onehot", path)
