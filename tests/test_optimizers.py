"""The MetaOptimizer contract of oe_dvae and the baselines, on NB201."""
import numpy as np
import pytest
import torch

from naslib_oe.benchmarks.evaluators import TableEvaluator
from naslib_oe.models import GraphVAE, VAEConfig
from naslib_oe.errors import ConfigError
from naslib_oe.optimizers import OPTIMIZERS, LocalSearch, Problem, RegularizedEvolution, build_optimizer

SMALL_OE = {"search": {"oe_dvae": {"bo": {"num_init": 5, "batch_size": 5, "proposal": "pool"}}}}


@pytest.fixture(scope="module")
def problem(nb201_bench):
    return Problem(nb201_bench.space, TableEvaluator(nb201_bench, "cifar10"))


@pytest.fixture(scope="module")
def small_vae(nb201_bench):
    torch.manual_seed(0)
    return GraphVAE(nb201_bench.space, VAEConfig(hidden=32, latent=8))


def run(name, problem, epochs, seed=0, **kwargs):
    opt = build_optimizer(name, SMALL_OE, seed=seed, **kwargs)
    opt.adapt_search_space(problem)
    for e in range(epochs):
        opt.new_epoch(e)
    return opt


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_contract_and_no_repeats(name, problem, small_vae, nb201_bench):
    kwargs = {"vae": small_vae} if name == "oe_dvae" else {}
    opt = run(name, problem, 20, **kwargs)
    assert opt.using_step_function is False
    assert len(opt.history) == 20  # one query per epoch
    assert len({nb201_bench.space.hash(q.dag) for q in opt.history}) == 20
    train_acc, val, test, cost = opt.train_statistics()
    best = max(opt.history, key=lambda q: q.result.val_acc)
    assert (val, test) == (best.result.val_acc, best.result.test_acc) and train_acc == -1
    assert cost == best.result.cost == 0.0  # our NB201 CSV records no training time
    assert opt.train_statistics(report_incumbent=False)[1] == opt.history[-1].result.val_acc
    assert opt.test_statistics() == best.result.test_acc
    assert opt.get_final_architecture() == best.dag
    assert isinstance(opt.get_checkpointables()["model"], torch.nn.Module)
    with pytest.raises(NotImplementedError):
        opt.get_op_optimizer()
    again = run(name, problem, 20, **kwargs)
    assert [q.dag for q in again.history] == [q.dag for q in opt.history]  # seeded


def test_regularized_evolution_mutates_tournament_winners(problem):
    opt = RegularizedEvolution(seed=0, population_size=10, sample_size=3)
    opt.adapt_search_space(problem)
    for e in range(30):
        opt.new_epoch(e)
    assert len(opt.population) == 10  # ageing: the oldest died
    space = problem.space
    later = [q.dag for q in opt.history[10:]]
    earlier = lambda i: [q.dag for q in opt.history[:10 + i]]  # noqa: E731
    # every child after the random phase is one mutation away from an earlier architecture
    for i, child in enumerate(later):
        assert any(child in space.neighbours(parent) for parent in earlier(i))
    with pytest.raises(ValueError, match="sample_size"):
        RegularizedEvolution(population_size=5, sample_size=10)


def test_local_search_climbs_neighbourhoods(problem):
    opt = LocalSearch(seed=0, num_init=5)
    opt.adapt_search_space(problem)
    for e in range(40):
        opt.new_epoch(e)
    start = max(opt.history[:5], key=lambda q: q.result.val_acc).dag
    neighbours = set(problem.space.neighbours(start))
    # right after the random start, LS queries the incumbent's neighbours
    assert all(q.dag in neighbours for q in opt.history[5:5 + len(neighbours)])


def test_errors(problem):
    with pytest.raises(KeyError, match="unknown optimizer"):
        build_optimizer("bananas")
    opt = build_optimizer("rs")
    with pytest.raises(RuntimeError, match="adapt_search_space"):
        opt.new_epoch(0)
    with pytest.raises(RuntimeError, match="no query"):
        opt.train_statistics()
    with pytest.raises(ValueError, match="queried on a dataset"):
        opt.adapt_search_space("nasbench201")
    with pytest.raises(ValueError, match="got a 'str' search space"):
        build_optimizer("rs", {"dataset": "cifar10"}).adapt_search_space("nasbench201")


def test_oe_dvae_refuses_a_vae_of_another_space(problem, enas_bench):
    vae = GraphVAE(enas_bench.space, VAEConfig(hidden=16, latent=4))
    opt = build_optimizer("oe_dvae", SMALL_OE, vae=vae)
    with pytest.raises(ValueError, match="trained on enas"):
        opt.adapt_search_space(problem)


def test_oe_dvae_reads_its_config_keys(problem, small_vae):
    cfg = {"search": {"oe_dvae": {"bo": {"num_init": 3, "batch_size": 4, "proposal": "pool"}}}}
    opt = build_optimizer("oe_dvae", cfg, seed=1, vae=small_vae)
    opt.adapt_search_space(problem)
    for e in range(7):
        opt.new_epoch(e)
    assert opt.bo.rounds_done == 1 and len(opt.queue) == 0  # 3 random, then one round of 4
    with pytest.raises(Exception, match="unknown keys"):
        build_optimizer("oe_dvae", {"search": {"oe_dvae": {"bogus": 1}}})
    assert np.isfinite(opt.test_statistics())


def test_baselines_read_naslibs_keys_from_the_search_section():
    """One config drives our re/ls and NASLib's: population_size, sample_size and num_init."""
    cfg = {"search": {"population_size": 12, "sample_size": 4, "num_init": 7, "k": 10}}
    re = build_optimizer("re", cfg)
    assert (re.population_size, re.sample_size) == (12, 4)
    assert build_optimizer("ls", cfg).num_init == 7
    assert build_optimizer("re", {"search": {}}).population_size == 50  # the NB201 paper's default
    with pytest.raises(ConfigError, match="NASLib's keys directly under search"):
        build_optimizer("re", {"search": {"re": {"population_size": 5}}})


def test_families_register_members_and_their_variants(monkeypatch):
    from naslib_oe import optimizers

    built, checked = [], []

    def build(member, config, seed):
        built.append(member)
        return OPTIMIZERS["rs"](seed=seed)

    def check(member):
        checked.append(member)
        if member.endswith(":bad"):
            raise ConfigError(f"{member} cannot run")

    family = optimizers.OptimizerFamily("toy-", ("a", "b"), build, check, "toy.module", variants=("b",))
    monkeypatch.setitem(optimizers.FAMILIES, "toy-", family)
    assert optimizers.family_of("toy-a") is family and optimizers.family_of("toy-b:x") is family
    for name in ("toy-a:x", "toy-b:", "toy-c", "toy-"):
        assert optimizers.family_of(name) is None, name
    assert "toy-b:<variant>" in optimizers.optimizer_names()
    assert optimizers.check_available(["rs", "toy-a", "toy-b:x"]) == ("toy.module",)
    assert checked == ["a", "b:x"]
    with pytest.raises(ConfigError, match="b:bad cannot run"):
        optimizers.check_available(["toy-b:bad"])
    with pytest.raises(ConfigError, match="unknown optimizers"):
        optimizers.check_available(["toy-a:x"])
    assert build_optimizer("toy-b:y", {}, seed=3).seed == 3 and built == ["b:y"]
