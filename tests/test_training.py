import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from naslib_oe.cli import main
from naslib_oe.config import oe_settings
from naslib_oe.metrics import evaluate_vae, exact_matches, novelty, uniqueness, validity
from naslib_oe.models import GraphVAE, VAEConfig
from naslib_oe.spaces import ArchDAG, EnasSpace, NB201Space
from naslib_oe.errors import CheckpointError, ConfigError
from naslib_oe.training import FINAL_MODEL, TRAIN_STATE, TrainConfig, TrainStep, make_scheduler, train_vae, vae_data

TINY = VAEConfig(hidden=32, latent=8, op_embedding_dim=4)


def fresh(space, seed=0):
    torch.manual_seed(seed)
    return GraphVAE(space, TINY)


@pytest.mark.parametrize("recipe", ["fast", "paper"])
def test_resume_after_kill_equals_uninterrupted_run(tmp_path, recipe):
    space = NB201Space()
    dags = space.sample_many(48, np.random.default_rng(0))
    cfg = TrainConfig.named(recipe, epochs=3, batch_size=16, lr=1e-3, checkpoint_every=1, device="cpu")
    whole = fresh(space)
    history = train_vae(whole, dags, cfg, out_dir=tmp_path / "a", progress=False)

    def kill(epoch, step):
        if (epoch, step) == (1, 1):
            raise KeyboardInterrupt  # killed in the middle of epoch 2

    parts = fresh(space)
    with pytest.raises(KeyboardInterrupt):
        train_vae(parts, dags, cfg, out_dir=tmp_path / "b", progress=False, on_batch=kill)
    assert torch.load(tmp_path / "b" / TRAIN_STATE, weights_only=True)["epoch"] == 0  # no pickled objects
    resumed = fresh(space, seed=123)  # whatever it starts from, the checkpoint decides
    history_b = train_vae(resumed, dags, cfg, out_dir=tmp_path / "b", resume=True, progress=False)
    assert [h["loss"] for h in history_b] == [h["loss"] for h in history]
    for (name, a), (_, b) in zip(whole.state_dict().items(), resumed.state_dict().items()):
        assert torch.equal(a, b), name
    with pytest.raises(ValueError, match="different settings"):
        train_vae(fresh(space), dags, TrainConfig.named(recipe, epochs=4, lr=5e-4, device="cpu"), out_dir=tmp_path / "b",
                  resume=True, progress=False)
    with pytest.raises(CheckpointError, match="no training state"):
        train_vae(fresh(space), dags, cfg, out_dir=tmp_path / "c", resume=True, progress=False)


def test_recipes_fill_unset_keys_and_schedules_follow_their_definition():
    paper = TrainConfig.from_dict({"recipe": "paper", "epochs": 5})
    assert (paper.epochs, paper.lr, paper.schedule, paper.lr_patience) == (5, 1e-4, "plateau", 10)
    fast = TrainConfig.from_dict({"lr": "2.0e-3"})  # YAML 1.1 reads 2e-3 as a string
    assert (fast.recipe, fast.lr, fast.schedule, fast.epochs) == ("fast", 2e-3, "constant", 8)
    cfg = TrainConfig(epochs=2, lr=1e-2, schedule="cosine", warmup_steps=10, final_lr=1e-4)
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=cfg.lr)
    scheduler = make_scheduler(optimizer, cfg, steps_per_epoch=50)  # 100 steps, warm-up 10
    lrs = []
    for _ in range(100):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert lrs[0] == pytest.approx(1e-4) and lrs[10] == pytest.approx(1e-2)
    assert all(a < b for a, b in zip(lrs[:10], lrs[1:11]))          # warm-up rises
    assert all(a >= b for a, b in zip(lrs[10:], lrs[11:]))          # cosine falls
    assert optimizer.param_groups[0]["lr"] == pytest.approx(1e-4)    # ... to final_lr
    assert lrs[55] == pytest.approx(1e-4 + (1e-2 - 1e-4) * 0.5 * (1 + math.cos(math.pi * 45 / 90)))
    for bad in ({"recipe": "slow"}, {"epochs": 1.5}, {"lr": "abc"}, {"batch_size": 0}, {"epochs": -1},
                {"schedule": "linear"}, {"device": "gpu"}):
        with pytest.raises(ValueError):
            TrainConfig.from_dict(bad)


def test_train_step_is_one_adam_step_of_the_loss():
    space = NB201Space()
    batch = space.collate(space.sample_many(8, np.random.default_rng(0)))
    stepped, manual = fresh(space), fresh(space)
    step = TrainStep(stepped, TrainConfig(lr=1e-3), torch.device("cpu"))
    terms = step(batch, torch.Generator().manual_seed(3))
    optimizer = torch.optim.Adam(manual.parameters(), lr=1e-3)
    expected = manual.loss(batch, torch.Generator().manual_seed(3))
    expected.total.backward()
    optimizer.step()
    torch.testing.assert_close(terms.total, expected.total)
    for (name, a), (_, b) in zip(stepped.state_dict().items(), manual.state_dict().items()):
        torch.testing.assert_close(a, b, msg=name)
    with pytest.warns(UserWarning, match="CUDA only"):
        TrainStep(fresh(space), TrainConfig(compile=True), torch.device("cpu"))


@pytest.mark.slow
def test_short_enas_run_learns(enas_bench):
    data = vae_data(enas_bench)
    train = data.train[:300]
    model = fresh(EnasSpace())
    history = train_vae(model, train, TrainConfig(epochs=8, batch_size=32, lr=3e-3, device="cpu"), progress=False)
    losses = [h["loss"] for h in history]
    assert losses[-1] < 0.7 * losses[0]
    # greedy decoding of the posterior mean recovers layer operations and skip edges far above chance
    batch = model.space.collate(train[:200])
    with torch.no_grad():
        decoded = model.decode(model.encode(batch)[0])
    op_acc = (decoded.ops[:, 1:-1] == batch.ops[:, 1:-1]).double().mean().item()
    skip = torch.triu(torch.ones(8, 8, dtype=torch.bool), 2)  # the skip-connection slots
    edge_acc = (decoded.adj == batch.adj)[:, skip].double().mean().item()
    print(f"op accuracy {op_acc:.3f} (chance 0.167), skip-edge accuracy {edge_acc:.3f} (chance 0.5)")
    # 1,200 decoded operations: chance (1/6) has a standard error of 0.011; the model reaches
    # about 0.20 after 8 short epochs (0.24 after 30), so 0.19 is two standard errors above chance
    assert op_acc > 0.19 and edge_acc > 0.65


def test_vae_data_splits(nb201_bench, enas_bench):
    enas = vae_data(enas_bench)
    assert (len(enas.train), len(enas.test)) == (17118, 1902)
    nb = vae_data(nb201_bench)
    assert (len(nb.train), len(nb.test)) == (14062, 1563)
    assert not set(nb.train) & set(nb.test)
    assert nb201_bench.query(nb.test[0]) == nb.test_y[0]


# --- metrics on hand-made cases ---------------------------------------------------------------
def _cells():
    space = NB201Space()
    return space, space.sample_many(3, np.random.default_rng(0))


def test_validity_uniqueness_novelty_by_hand():
    space, (a, b, c) = _cells()
    broken = ArchDAG([0, 2, 1], [[0, 1, 0], [0, 0, 1], [0, 0, 0]])
    ratio, valid = validity([a, broken, b, broken], space)
    assert ratio == 0.5 and valid == [a, b]
    assert uniqueness([a, a, b], space) == pytest.approx(2 / 3)
    assert novelty([a, b, c, c], [space.hash(a)], space) == 0.75
    assert validity([], space) == (0.0, []) and uniqueness([], space) == 0.0 and novelty([], [], space) == 0.0


def test_exact_matches():
    space, (a, b, c) = _cells()
    assert exact_matches(space.collate([a, b, c]), space.collate([a, c, c])).tolist() == [True, False, True]


def test_evaluate_protocol_and_cli(tmp_path, capsys):
    space = NB201Space()
    dags = space.sample_many(40, np.random.default_rng(0))
    model = fresh(space)
    metrics = evaluate_vae(model, dags[:30], dags[30:], encode_times=2, decode_times=3, n_points=20, progress=False)
    assert metrics.n_prior_decodes == 60 and metrics.n_test == 10
    assert 0 <= metrics.validity <= 1 and 0 <= metrics.reconstruction <= 1
    assert "reconstruction accuracy" in metrics.table()
    again = evaluate_vae(model, dags[:30], dags[30:], encode_times=2, decode_times=3, n_points=20, progress=False)
    assert again == metrics  # seeded

    cfg = tmp_path / "nb201.yaml"
    cfg.write_text("search_space: nb201\nout_dir: %s\nsearch:\n  oe_dvae:\n    model: {hidden: 16, latent: 4}\n"
                   "    train: {epochs: 1, batch_size: 512, device: cpu}\n"
                   "    eval: {encode_times: 1, decode_times: 1, n_points: 10}\n"
                   "    predictive_seeds: 2\n    bo: {gp: {steps: 5, num_inducing: 20}}\n" % tmp_path)
    assert main(["train", "--config", str(cfg)]) == 0
    run = tmp_path / "nasbench201" / "vae_learned_dvae"
    assert (run / FINAL_MODEL).is_file() and (run / TRAIN_STATE).is_file()
    assert main(["evaluate", "--config", str(cfg)]) == 0
    out = json.loads((run / "metrics.json").read_text())
    assert set(out["vae"]) >= {"reconstruction", "validity", "uniqueness", "novelty"}
    assert out["predictive"]["seeds"] == 2 and -1 <= out["predictive"]["pearson_mean"] <= 1
    assert out["predictive"]["n_train"] + out["predictive"]["n_test"] == 15625
    printed = capsys.readouterr().out
    assert "validity" in printed and "GP Pearson r" in printed
    assert main(["evaluate", "--config", str(cfg), "--set", "search.oe_dvae.model.op_embedding=onehot"]) == 2
    assert main(["train", "--config", str(cfg), "--set", "search.oe_dvae.model.hiden=3"]) == 2
    assert main(["train", "--config", str(tmp_path / "missing.yaml")]) == 2


def _paper_table() -> dict[str, str]:
    """docs/training.md's table of the paper recipe: ``{"model.eps_scale": "0.01", ...}``."""
    text = (Path(__file__).resolve().parents[1] / "docs" / "training.md").read_text()
    section = text.split("### The paper's training, exactly")[1].split("\n\n")[2]
    rows = [line.split("|")[1:3] for line in section.splitlines()[2:]]
    return {key.strip().strip("`"): value.strip() for key, value in rows}


def test_the_paper_recipe_sets_the_values_of_the_docs_table():
    import importlib.util

    import yaml

    from naslib_oe import pipeline

    table = _paper_table()
    assert len(table) == 15
    spec = importlib.util.spec_from_file_location("run_enas", Path(__file__).resolve().parents[1] / "examples" / "run_enas.py")
    run_enas = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run_enas)
    from_recipe = oe_settings({"search": {"oe_dvae": {"train": {"recipe": "paper"}}}})
    from_example = pipeline.setup(run_enas.CONFIG, run_enas.MODES["paper"]).settings  # over configs/enas.yaml
    for settings in (from_recipe, from_example):
        for key, documented in table.items():
            section, name = key.split(".")
            actual = getattr(getattr(settings, section), name)
            assert actual == yaml.safe_load(documented.replace("1e-4", "1.0e-4")), (key, actual, documented)


def test_eps_scale_zero_trains_on_mu_and_scales_the_noise():
    space = EnasSpace()
    dags = space.sample_many(6, np.random.default_rng(0))
    batch = space.collate(dags)
    torch.manual_seed(0)
    model = GraphVAE(space, VAEConfig(hidden=16, latent=4, eps_scale=0.0))
    noise = model.sample_noise(len(dags), torch.Generator().manual_seed(1))
    assert torch.equal(noise, torch.zeros_like(noise))
    mu, logvar = model.encode(batch)
    at_mu = -sum(model.decoder.log_likelihood(mu, batch)).sum()
    assert torch.allclose(model.loss(batch, torch.Generator().manual_seed(1)).recon, at_mu)
    scaled = GraphVAE(space, VAEConfig(hidden=16, latent=4, eps_scale=0.01))
    full = GraphVAE(space, VAEConfig(hidden=16, latent=4))
    assert torch.allclose(scaled.sample_noise(3, torch.Generator().manual_seed(2)),
                          0.01 * full.sample_noise(3, torch.Generator().manual_seed(2)))
    with pytest.raises(ConfigError, match="eps_scale must be >= 0"):
        VAEConfig(eps_scale=-1.0)


def test_sampled_cells_hold_out_distinct_draws_and_keep_the_table_for_the_gp(nb101_bench, monkeypatch):
    data = vae_data(nb101_bench, seed=0, sampled_cells=400, test_cells=60)
    space = nb101_bench.space
    held_out = {space.hash(d) for d in data.test}
    assert len(data.train) == 400 and len(data.test) == len(held_out) == 60
    assert not held_out & {space.hash(d) for d in data.train}  # never trained on
    assert all(space.is_valid(d) for d in data.train + data.test) and data.train_y == []
    table = vae_data(nb101_bench, seed=0)
    assert data.predictive.train == table.train and data.predictive.test_y == table.test_y  # the GP keeps the table
    again = vae_data(nb101_bench, seed=0, sampled_cells=400, test_cells=60)
    assert [space.hash(d) for d in again.train] == [space.hash(d) for d in data.train]  # seeded
    repeats = len(data.train) - len({space.hash(d) for d in data.train})
    assert repeats > 0  # NB101's sampler draws its small cells often
    distinct = vae_data(nb101_bench, seed=0, sampled_cells=400, test_cells=60, distinct=True)
    keys = [space.hash(d) for d in distinct.train]
    assert len(set(keys)) == 400 and not held_out & set(keys) and distinct.test == data.test
    # more distinct cells than the sampler reaches in 50 draws each: an error, not an endless loop
    monkeypatch.setattr(space, "sample", lambda rng: nb101_bench.dags[0])  # a sampler with one cell
    with pytest.raises(ConfigError, match="gave 0 distinct new cells in 100 draws"):
        vae_data(nb101_bench, seed=0, sampled_cells=2, test_cells=1, distinct=True)
