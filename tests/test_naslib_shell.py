"""The NASLib shell's parts that need no NASLib: dataset APIs from our files, the ENAS space in
NASLib's interface, our optimizers on it, config inheritance, and naslib-run without NASLib."""
from __future__ import annotations

import importlib.util
from enum import Enum

import numpy as np
import pytest
import torch

from naslib_oe.benchmarks import Metric
from naslib_oe.benchmarks.evaluators import SurrogateEvaluator, TableEvaluator
from naslib_oe.cli import main as cli_main
from naslib_oe.config import ConfigError, load_config
from naslib_oe.naslib.dataset_api import MissingMetricError, evaluator_dataset_api, nb201_dataset_api
from naslib_oe.naslib.enas_space import EnasSearchSpace, path_encoding
from naslib_oe.naslib.runner import overrides_from_pairs
from naslib_oe.optimizers import RegularizedEvolution
from naslib_oe.spaces import EnasSpace


class NASLibMetric(Enum):  # stands in for NASLib's Metric: the shell only reads member names
    VAL_ACCURACY = 1
    TEST_ACCURACY = 2
    TRAIN_TIME = 3


class ConvCount:
    """A cheap deterministic stand-in for the ENAS surrogate: 70 + number of conv layers."""

    def predict(self, dags):
        return [70.0 + sum(op in (2, 3, 4, 5) for op in dag.ops) for dag in dags]


@pytest.fixture(scope="module")
def nb201_api():
    return nb201_dataset_api()


def test_nb201_api_answers_naslib_lookups_from_the_table(nb201_api, nb201_bench):
    dag = nb201_bench.dags[1]
    arch_str = nb201_bench.space.to_string(dag)
    record = nb201_api["nb201_data"][arch_str]
    val = nb201_bench.query(dag, Metric.VAL_ACCURACY, "cifar10")
    assert record["cifar10-valid"]["eval_acc1es"][-1] == pytest.approx(val)
    assert record["cifar10-valid"]["eval_acc1es"][199] == pytest.approx(val)
    assert record["cifar100"]["eval_acc1es"][-1] == pytest.approx(nb201_bench.query(dag, Metric.VAL_ACCURACY, "cifar100"))
    assert set(record) == {"cifar10-valid", "cifar100", "ImageNet16-120"}
    assert len(nb201_api["nb201_data"]) == 15_625


def test_nb201_api_refuses_what_the_table_lacks(nb201_api, nb201_bench):
    record = nb201_api["nb201_data"][nb201_bench.space.to_string(nb201_bench.dags[0])]["cifar10-valid"]
    with pytest.raises(MissingMetricError, match=r"eval_acc1es\[5\].*only the final epoch"):
        record["eval_acc1es"][5]
    with pytest.raises(MissingMetricError, match="only the final epoch"):
        record["eval_acc1es"][:10]
    with pytest.raises(MissingMetricError, match="no 'train_time' for cifar10-valid"):
        record["cost_info"]["train_time"]
    with pytest.raises(MissingMetricError, match="no 'eval_losses'"):
        record["eval_losses"]
    with pytest.raises(ValueError, match="must have 3 inputs"):
        nb201_api["nb201_data"]["|none~0|+|none~0|none~1|+|none~0|none~1|none~2|x|"]


def test_nb201_api_reporting_marker_only_for_reporting_metrics(nb201_bench):
    api = nb201_dataset_api(report_missing_as=-1.0)
    record = api["nb201_data"][nb201_bench.space.to_string(nb201_bench.dags[0])]["cifar10-valid"]
    with pytest.warns(UserWarning, match="no 'train_time'"):
        assert record["cost_info"]["train_time"] == -1.0
    with pytest.warns(UserWarning, match="no 'train_acc1es'"):
        assert record["train_acc1es"][-1] == -1.0
    with pytest.raises(MissingMetricError):
        record["cost_info"]["flops"]  # not a reporting metric: still an error


def test_enas_space_sampling_follows_numpy_global_seed():
    def draw():
        np.random.seed(3)
        space = EnasSearchSpace()
        space.sample_random_architecture()
        return space.get_hash()

    assert draw() == draw()
    with pytest.raises(ValueError, match="holds no architecture"):
        EnasSearchSpace().get_hash()


def test_enas_space_mutate_neighbourhood_and_clone():
    np.random.seed(0)
    parent = EnasSearchSpace()
    parent.sample_random_architecture()
    child = parent.clone()
    assert child.get_hash() == parent.get_hash()
    child.mutate(parent)
    assert child.get_hash() != parent.get_hash()
    nbhd = parent.get_nbhd()
    assert all(isinstance(m, torch.nn.Module) for m in nbhd)
    # 6 layers x 5 other ops, plus 0+1+2+3+4+5 skip bits (layer i may skip from vertices 0..i-2)
    assert len(nbhd) == 6 * 5 + 15
    assert len({m.arch.get_hash() for m in nbhd}) == len(nbhd)
    assert child.get_hash() in {m.arch.get_hash() for m in nbhd}
    assert parent.get_type() == "enas"
    assert EnasSpace().to_dag(parent.get_spec()) == parent.dag


def test_enas_encodings():
    space = EnasSpace()
    chain = EnasSearchSpace(space.to_dag([[0]] + [[0] + [0] * i for i in range(1, 6)]))
    path = chain.encode("path")
    assert path.shape == (6 + 36 + 216,)
    assert path.sum() == 3  # conv3x3, conv3x3->conv3x3, conv3x3->conv3x3->conv3x3
    sep_first = space.to_dag([[1], [0, 0], [0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0]])
    assert path_encoding(space, sep_first).sum() == 6  # adds sep3x3, sep3x3->conv3x3, sep3x3->conv3x3->conv3x3
    n = space.max_nodes
    assert chain.encode("adjacency_one_hot").shape == (n * (space.num_ops + 1) + n * (n - 1) // 2,)
    gcn = chain.encode("gcn")
    assert gcn["adjacency"].shape == (n, n) and gcn["operations"].shape == (n, space.num_ops)
    with pytest.raises(NotImplementedError, match="bonas"):
        chain.encode("bonas")


def test_enas_space_query_through_our_evaluator(enas_bench):
    in_table = EnasSearchSpace(enas_bench.dags[10])
    api = evaluator_dataset_api(TableEvaluator(enas_bench))
    assert in_table.query(NASLibMetric.VAL_ACCURACY, "cifar10", dataset_api=api) == pytest.approx(
        enas_bench.query(enas_bench.dags[10], Metric.VAL_ACCURACY))
    with pytest.raises(MissingMetricError, match="test_acc"):
        in_table.query(NASLibMetric.TEST_ACCURACY, "cifar10", dataset_api=api)
    marked = evaluator_dataset_api(TableEvaluator(enas_bench), report_missing_as=-1.0)
    with pytest.warns(UserWarning, match="test_acc"):
        assert in_table.query(NASLibMetric.TEST_ACCURACY, "cifar10", dataset_api=marked) == -1.0
    with pytest.raises(ValueError, match="evaluator_dataset_api"):
        in_table.query(NASLibMetric.VAL_ACCURACY, "cifar10", dataset_api=None)


def test_our_optimizer_searches_the_naslib_enas_space(enas_bench):
    evaluator = SurrogateEvaluator(enas_bench, ConvCount())
    opt = RegularizedEvolution(seed=0, population_size=10, sample_size=3, dataset="cifar10")
    opt.adapt_search_space(EnasSearchSpace(), dataset_api=evaluator_dataset_api(evaluator))
    for epoch in range(25):
        opt.new_epoch(epoch)
    final = opt.get_final_architecture()
    assert isinstance(final, EnasSearchSpace)
    assert final.dag == opt.incumbent().dag
    assert opt.train_statistics()[1] == max(q.result.val_acc for q in opt.history)

    no_dataset = RegularizedEvolution(seed=0)
    with pytest.raises(ValueError, match="dataset"):
        no_dataset.adapt_search_space(EnasSearchSpace(), dataset_api=evaluator_dataset_api(evaluator))
    # the ENAS adapter's problem hook: our space needs our evaluator in its dataset API
    with pytest.raises(ConfigError, match="evaluator_dataset_api"):
        RegularizedEvolution(seed=0, dataset="cifar10").adapt_search_space(EnasSearchSpace(), dataset_api={})


def test_config_extends_merges_sections(tmp_path):
    (tmp_path / "base.yaml").write_text("search_space: nasbench201\ndataset: cifar10\n"
                                        "search:\n  oe_dvae:\n    bo: {budget: 150, batch_size: 10}\n")
    (tmp_path / "child.yaml").write_text("extends: base.yaml\ndataset: cifar100\n"
                                         "search:\n  oe_dvae:\n    bo: {budget: 50}\n")
    cfg = load_config(tmp_path / "child.yaml")
    assert cfg["dataset"] == "cifar100" and cfg["search_space"] == "nasbench201"
    assert cfg["search"]["oe_dvae"]["bo"] == {"budget": 50, "batch_size": 10}
    (tmp_path / "loop.yaml").write_text("extends: loop.yaml\n")
    with pytest.raises(ConfigError, match="loops back"):
        load_config(tmp_path / "loop.yaml")


def test_override_with_an_unknown_top_level_key_is_refused():
    with pytest.raises(ConfigError, match="unknown top-level key 'serach'"):
        load_config("configs/nb201.yaml", ["serach.epochs=5"])
    cfg = load_config("configs/nb201.yaml", ["evaluation.batch_size=8", "search.epochs=5"])  # NASLib's keys stay
    assert cfg["evaluation"] == {"batch_size": 8} and cfg["search"]["epochs"] == 5


def test_shipped_dataset_configs_extend_nb201():
    for name, dataset in [("nb201_cifar100", "cifar100"), ("nb201_imagenet16", "ImageNet16-120")]:
        cfg = load_config(f"configs/{name}.yaml")
        assert cfg["dataset"] == dataset
        assert cfg["search"]["population_size"] == 50 and cfg["search"]["oe_dvae"]["bo"]["budget"] == 150


def test_naslib_style_overrides():
    assert overrides_from_pairs(["seed", "3", "search.epochs", "50", "out_dir=x"]) == [
        "seed=3", "search.epochs=50", "out_dir=x"]
    with pytest.raises(ConfigError, match="has no value"):
        overrides_from_pairs(["seed"])


@pytest.mark.skipif(importlib.util.find_spec("naslib") is not None, reason="NASLib is installed here")
def test_naslib_run_without_naslib_explains(capsys):
    assert cli_main(["naslib-run", "--config", "configs/nb201.yaml"]) == 2
    err = capsys.readouterr().err
    assert "NASLib is not importable" in err
    assert "naslib-oe search" in err and "naslib-oe compare" in err


@pytest.mark.skipif(importlib.util.find_spec("naslib") is not None, reason="NASLib is installed here")
def test_compare_with_naslib_optimizers_without_naslib_explains(tmp_path):
    from naslib_oe.harness import compare

    with pytest.raises(ConfigError, match="NASLib's own: NASLib is not importable"):
        compare(load_config("configs/nb201.yaml"), ["naslib-re"], seeds=1, budget=5, run_dir=tmp_path, progress=False)
    with pytest.raises(ConfigError, match="naslib-bananas"):
        compare(load_config("configs/nb201.yaml"), ["naslib-darts"], seeds=1, budget=5, run_dir=tmp_path, progress=False)


@pytest.mark.parametrize("n", [1, 2, 3, 5, 10])
def test_member_offsets_have_mean_zero_and_population_std_one(n):
    from naslib_oe.naslib.predictor_types import member_offsets

    c = member_offsets(n)
    assert c.shape == (n,) and abs(c.mean()) < 1e-12
    assert c.std() == pytest.approx(0.0 if n == 1 else 1.0)
