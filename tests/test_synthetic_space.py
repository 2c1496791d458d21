"""A new search space is its codec, its table and one registration line; then every layer
(benchmarks, models, BO, optimizers, the harness) works on it, with no benchmark files."""
import json

import numpy as np
import pytest

from naslib_oe.benchmarks import load_benchmark
from naslib_oe.config import load_config
from naslib_oe.harness import compare, load_run, read_trajectory, trial_paths
from naslib_oe.spaces import SpaceDescriptor, canonical_space_name, get_space, register_space
from tests.synthetic import ChainSpace, register, toy_accuracy

TOY_CFG = ("search_space: toychain\ndataset: cifar10\nout_dir: {out}\nsearch:\n  population_size: 8\n  sample_size: 3\n"
           "  num_init: 4\n  oe_dvae:\n    model: {{hidden: 16, latent: 4}}\n"
           "    train: {{epochs: 2, batch_size: 32, device: cpu}}\n    bo: {{num_init: 4, batch_size: 4, proposal: pool}}\n")


@pytest.fixture(scope="module")
def toy_bench():
    register()
    return load_benchmark("toychain")


def test_one_registration_line_makes_the_space_known(toy_bench):
    assert isinstance(get_space("TOYCHAIN"), ChainSpace) and canonical_space_name("toychain") == "toychain"
    assert len(toy_bench) == 81
    dag = toy_bench.space.from_string("conv-pool-pool-conv")
    assert toy_bench.query(dag, "val_accuracy") == pytest.approx(80.0 + 1 + 4 - 3)
    assert toy_bench.query(dag, "test_accuracy") == pytest.approx(81.5)
    with pytest.raises(KeyError, match="toychain"):  # the error lists it among the known spaces
        get_space("toychian")
    with pytest.raises(ValueError, match="already registered"):
        register_space(SpaceDescriptor("nb201", "tests.synthetic:ChainSpace", "tests.synthetic:ChainBenchmark.load"))


def test_the_harness_and_every_optimizer_run_on_the_synthetic_space(toy_bench, tmp_path):
    cfg_file = tmp_path / "toy.yaml"
    cfg_file.write_text(TOY_CFG.format(out=tmp_path))
    cfg = load_config(cfg_file)
    run_dir = tmp_path / "run"
    result = compare(cfg, ["rs", "re", "ls", "oe_dvae"], seeds=2, budget=12, run_dir=run_dir, progress=False)
    assert not result.failed, result.failed[0].error
    run = json.loads((run_dir / "run.json").read_text())
    assert run["optimum"] == pytest.approx(89.5)  # all convolutions: val 90, test 89.5
    _, curves = load_run(run_dir)
    assert {c.optimizer for c in curves} == {"rs", "re", "ls", "oe_dvae"}
    for optimizer in ("rs", "oe_dvae"):
        records = read_trajectory(trial_paths(run_dir, optimizer, 1)[0])
        assert len({r.arch for r in records}) == 12
        for r in records:  # the table's closed-form values reach the log unchanged
            assert (r.val_acc, r.test_acc) == pytest.approx(toy_accuracy(tuple(r.arch.split("-"))))
        assert [r.best_val for r in records] == list(np.maximum.accumulate([r.val_acc for r in records]))
