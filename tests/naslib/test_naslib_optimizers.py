"""oe_dvae as a NASLib MetaOptimizer, and the runner driving NASLib's Trainer."""
import json
import re

import pytest
import torch

from tests.naslib import naslib_or_skip

naslib_or_skip()

from naslib.optimizers.core.metaclasses import MetaOptimizer  # noqa: E402
from naslib.search_spaces import NasBench201SearchSpace  # noqa: E402
from naslib.search_spaces.core.query_metrics import Metric as NASLibMetric  # noqa: E402

from naslib_oe.benchmarks.evaluators import SurrogateEvaluator  # noqa: E402
from naslib_oe.config import ConfigError  # noqa: E402
from naslib_oe.models import GraphVAE, VAEConfig  # noqa: E402
from naslib_oe.naslib import runner  # noqa: E402
from naslib_oe.naslib.convert import nb201_dag_from_op_indices  # noqa: E402
from naslib_oe.naslib.dataset_api import evaluator_dataset_api, nb201_dataset_api  # noqa: E402
from naslib_oe.optimizers import OEDVAE  # noqa: E402
from naslib_oe.spaces import NB201Space  # noqa: E402

SMALL_BO = {"num_init": 4, "batch_size": 4, "proposal": "pool"}


@pytest.fixture(scope="module")
def small_vae_path(tmp_path_factory):
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("vae") / "model.pt"
    GraphVAE(NB201Space(), VAEConfig(hidden=32, latent=8)).save(path)
    return path


def test_oe_dvae_is_a_naslib_meta_optimizer(small_vae_path, nb201_bench):
    config = {"seed": 0, "dataset": "cifar10",
              "search": {"oe_dvae": {"checkpoint": str(small_vae_path), "bo": SMALL_BO}}}
    opt = OEDVAE(config)
    assert isinstance(opt, MetaOptimizer) and opt.using_step_function is False
    space = NasBench201SearchSpace()
    space.instantiate_model = False
    api = nb201_dataset_api()
    opt.adapt_search_space(space, dataset_api=api)
    for epoch in range(12):
        opt.new_epoch(epoch)
    assert len(opt.history) == 12 and len({q.dag for q in opt.history}) == 12
    train_acc, val, test, train_time = opt.train_statistics()
    assert val == max(q.result.val_acc for q in opt.history)
    final = opt.get_final_architecture()
    assert isinstance(final, NasBench201SearchSpace)
    assert final.query(NASLibMetric.VAL_ACCURACY, "cifar10", dataset_api=api) == pytest.approx(val)
    assert opt.get_checkpointables()["model"] is opt.vae


def test_runner_oe_dvae_on_nb201_writes_naslib_output(small_vae_path, tmp_path, nb201_bench, monkeypatch):
    import naslib_oe.config as config

    calls = []
    real = config.oe_settings
    monkeypatch.setattr(config, "oe_settings", lambda *a, **k: calls.append(1) or real(*a, **k))
    overrides = [f"out_dir={tmp_path}", "search.epochs=12", f"search.oe_dvae.checkpoint={small_vae_path}",
                 *(f"search.oe_dvae.bo.{k}={v}" for k, v in SMALL_BO.items())]
    summary = runner.run("configs/nb201.yaml", overrides)
    assert len(calls) == 1  # naslib-run parses its config once: the node, the table API and oe_dvae share it
    folder = tmp_path / "nasbench201" / "cifar10" / "oe_dvae" / "0"
    config, trajectory = json.loads((folder / "errors.json").read_text())
    assert config["optimizer"] == "oe_dvae" and len(trajectory["valid_acc"]) == 12
    assert trajectory["valid_acc"] == sorted(trajectory["valid_acc"])  # the incumbent never gets worse
    assert summary["final_val_acc"] == trajectory["valid_acc"][-1] == summary["final_test_acc"]
    dag = nb201_bench.space.to_dag(NB201Space().to_string(
        nb201_dag_from_op_indices(json.loads(summary["final_architecture"]))))
    assert summary["table_test_acc"] == pytest.approx(nb201_bench.query(dag, "test_acc", "cifar10"))
    assert json.loads((folder / "naslib_oe_summary.json").read_text()) == summary
    assert summary["naslib"].startswith("0.1.0 (")  # NASLib's version and checkout
    log = (folder / "log.log").read_text()
    assert re.search(r"search_space\.+nasbench201", log) and re.search(r"optimizer\.+oe_dvae", log)  # NASLib's dump


class ConvCount:
    """Cheap deterministic ENAS surrogate for plumbing tests: 70 + number of convolutions."""

    def predict(self, dags):
        return [70.0 + sum(op in (2, 3, 4, 5) for op in dag.ops) for dag in dags]


@pytest.mark.parametrize("optimizer, extra", [
    ("rs", []), ("re", ["search.population_size=8", "search.sample_size=3"]), ("ls", ["search.num_init=5"]),
    ("bananas", ["search.num_init=5", "search.k=5", "search.num_candidates=20", "search.predictor_type=xgb"]),
    ("npenas", ["search.num_init=5", "search.k=5", "search.num_candidates=20", "search.predictor_type=xgb"]),
])
def test_naslib_optimizers_run_on_our_enas_space(optimizer, extra, tmp_path, monkeypatch, enas_bench):
    api = evaluator_dataset_api(SurrogateEvaluator(enas_bench, ConvCount()), report_missing_as=runner.NOT_RECORDED)
    monkeypatch.setattr(runner, "build_dataset_api", lambda cfg, store=None: api)
    summary = runner.run("configs/enas.yaml", [f"out_dir={tmp_path}", f"optimizer={optimizer}",
                                               "search.epochs=15", *extra])
    _, trajectory = json.loads((tmp_path / "enas" / "cifar10" / optimizer / "0" / "errors.json").read_text())
    assert len(trajectory["valid_acc"]) == 15
    assert summary["final_val_acc"] == max(trajectory["valid_acc"])
    assert summary["final_test_acc"] == runner.NOT_RECORDED  # ENAS has no test accuracy


def test_runner_names_unknown_optimizers(tmp_path):
    with pytest.raises(ConfigError, match="'darts' is not one of"):
        runner.run("configs/nb201.yaml", [f"out_dir={tmp_path}", "optimizer=darts"])


def test_harness_runs_naslib_optimizers_reproducibly(tmp_path, nb201_bench):
    from naslib_oe.config import load_config
    from naslib_oe.harness import compare
    from naslib_oe.harness.trajectory import read_trajectory, trial_paths

    cfg = load_config("configs/nb201.yaml", ["search.population_size=6", "search.sample_size=2"])
    runs = []
    for name in ("a", "b"):
        result = compare(cfg, ["naslib-re", "naslib-ls"], seeds=1, budget=12, run_dir=tmp_path / name, progress=False)
        assert not result.failed, [o.error for o in result.failed]
        runs.append({opt: read_trajectory(trial_paths(tmp_path / name, opt, 0)[0]) for opt in ("naslib-re", "naslib-ls")})
    for opt, records in runs[0].items():
        assert [r.query for r in records] == list(range(1, 13))
        assert [r.arch for r in records] == [r.arch for r in runs[1][opt]]  # same seed, same queries
        for r in records:  # our evaluator's values: NASLib's validation and the table's test
            dag = nb201_bench.space.from_string(r.arch)
            assert r.val_acc == pytest.approx(nb201_bench.query(dag, "val_acc", "cifar10"))
            assert r.test_acc == pytest.approx(nb201_bench.query(dag, "test_acc", "cifar10"))


@pytest.mark.parametrize("optimizer", ["rs", "re", "ls", "bananas", "npenas"])
def test_harness_logs_exactly_what_naslib_queried_at_budget_150(optimizer, monkeypatch, nb201_bench):
    """NASLib's LocalSearch keeps 100 history entries, so reading its history after 100 queries
    logged the wrong architecture; the wrapper reads the query itself. NASLib's own query method
    is watched here, independently of the wrapper."""
    from naslib_oe.config import load_config
    from naslib_oe.naslib.wrapped import NASLibWrapped
    from naslib_oe.problem import build_problem

    asked: list[tuple[int, ...]] = []
    naslib_query = NasBench201SearchSpace.query

    def watched(self, metric=None, *args, **kwargs):
        if metric == NASLibMetric.VAL_ACCURACY:
            asked.append(tuple(int(i) for i in self.get_op_indices()))
        return naslib_query(self, metric, *args, **kwargs)

    monkeypatch.setattr(NasBench201SearchSpace, "query", watched)
    cfg = load_config("configs/nb201.yaml", ["search.num_candidates=50", "search.predictor_type=xgb"])
    opt = NASLibWrapped(optimizer, cfg, seed=1)
    opt.adapt_search_space(build_problem(nb201_bench, dataset="cifar10"))
    for epoch in range(150):
        opt.new_epoch(epoch)
    logged = [nb201_dag_from_op_indices(list(indices)) for indices in asked]
    assert len(asked) == 150
    assert [q.dag for q in opt.history] == logged
