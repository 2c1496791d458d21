"""The evaluation harness: logs, resume after kill -9, experiment isolation, aggregates, CLI."""
import csv
import dataclasses
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from naslib_oe.cli import main
from naslib_oe.config import ConfigError, load_config
from naslib_oe.harness import (Curve, Found, TrajectoryRecord, best_architectures_table, compare, load_run,
                               markdown_table, plot_run, read_trajectory, trial_paths)
from naslib_oe.training import FINAL_MODEL

NB201_CFG = ("search_space: nasbench201\ndataset: cifar10\nout_dir: {out}\nsearch:\n  oe_dvae:\n"
             "    model: {{hidden: 16, latent: 4}}\n    train: {{epochs: 1, batch_size: 512, device: cpu}}\n"
             "    bo: {{num_init: 5, batch_size: 5, proposal: pool}}\n")


@pytest.fixture
def cfg_file(tmp_path):
    path = tmp_path / "nb201.yaml"
    path.write_text(NB201_CFG.format(out=tmp_path))
    return path


def test_compare_logs_every_query_and_aggregates(cfg_file, tmp_path, nb201_bench):
    cfg = load_config(cfg_file)
    run_dir = tmp_path / "run"
    result = compare(cfg, ["rs", "re", "ls"], seeds=2, budget=12, run_dir=run_dir, progress=False)
    assert not result.failed and [o.status for o in result.outcomes] == ["done"] * 6
    log, done = trial_paths(run_dir, "re", 1)
    records = read_trajectory(log)
    assert done.exists() and [r.query for r in records] == list(range(1, 13))
    space = nb201_bench.space
    for r in records:  # values are the table's own
        dag = space.from_string(r.arch)
        assert r.val_acc == nb201_bench.query(dag, "val_accuracy", "cifar10")
        assert r.test_acc == nb201_bench.query(dag, "test_accuracy", "cifar10")
        assert not r.surrogate
    assert [r.best_val for r in records] == list(np.maximum.accumulate([r.val_acc for r in records]))
    run = json.loads((run_dir / "run.json").read_text())
    assert run["budget"] == 12 and run["optimum"] == pytest.approx(94.3733) and "torch" in run["versions"]

    files = plot_run(run_dir)
    rows = list(csv.DictReader(open(files["csv"])))
    assert len(rows) == 3 * 12
    re_rows = [r for r in rows if r["optimizer"] == "re"]
    tests = np.array([[r.incumbent_test for r in read_trajectory(trial_paths(run_dir, "re", s)[0])] for s in (0, 1)])
    assert float(re_rows[-1]["incumbent_test_mean"]) == pytest.approx(tests[:, -1].mean(), abs=1e-4)
    assert float(re_rows[-1]["incumbent_test_se"]) == pytest.approx(tests[:, -1].std(ddof=1) / np.sqrt(2), abs=1e-4)
    assert float(re_rows[-1]["regret_mean"]) == pytest.approx(94.3733 - tests[:, -1].mean(), abs=1e-3)
    assert files["png"].stat().st_size > 10_000
    assert "| re | 2 |" in files["markdown"].read_text()
    # each optimizer's best distinct architectures over both trials, best first, with their trial
    _, curves = load_run(run_dir)
    found = {}
    for seed in (0, 1):
        for r in read_trajectory(trial_paths(run_dir, "re", seed)[0]):
            found.setdefault(r.arch, (seed, r))
    expected = sorted(found.values(), key=lambda f: -f[1].val_acc)[:5]
    best = next(c for c in curves if c.optimizer == "re").best
    assert [(f.seed, f.record.arch, f.record.query) for f in best] == [(s, r.arch, r.query) for s, r in expected]
    top = expected[0][1]
    row = next(line for line in files["markdown"].read_text().splitlines() if line.startswith("| re | 1 |"))
    cells = [c.strip() for c in re.split(r"(?<!\\)\|", row)[1:-1]]  # NB201's '|' are escaped in the cell
    assert cells == ["re", "1", f"{top.val_acc:.2f}", f"{top.test_acc:.2f}", "table", str(expected[0][0]), str(top.query),
                     "`" + top.arch.replace("|", "\\|") + "`"]

    # finished trials are skipped; another budget in the same folder is refused
    again = compare(cfg, ["rs"], seeds=2, budget=12, run_dir=run_dir, resume=True, progress=False)
    assert [o.status for o in again.outcomes] == ["skipped", "skipped"]
    with pytest.raises(ConfigError, match="another experiment"):
        compare(cfg, ["rs"], seeds=1, budget=13, run_dir=run_dir, progress=False)
    with pytest.raises(ConfigError, match="another experiment"):
        compare({**cfg, "dataset": "cifar100"}, ["rs"], seeds=1, budget=12, run_dir=run_dir, progress=False)


def test_markdown_table_hand_made():
    run = {"budget": 3, "optimum": 94.0, "optimum_metric": "test_accuracy", "prior": "none: no training split"}
    curve = Curve("x", [0, 1], np.array([[1, 2, 3], [1, 2, 5]], float), np.array([[90, 91, 92], [90, 91, 94]], float),
                  np.array([3, 2]), np.array([0.5, 1.0]),
                  [Found(1, TrajectoryRecord(3, "arch-b", 5.0, None, 5.0, None, 1.0, True, 0.0)),
                   Found(0, TrajectoryRecord(2, "arch-a", 2.0, 91.0, 2.0, 91.0, 1.0, False, 0.0))])
    table = markdown_table(run, [curve], budgets=(1, 3, 25))
    assert "| x | 2 | 90.00 ± 0.00 | 93.00 ± 1.00 | 2.5 of 3 | 0.75 |" in table  # s.e. = std(ddof=1)/sqrt(2) = 1
    assert "25 queries" not in table and "GP prior" not in table  # oe_dvae is not in this run
    oe = dataclasses.replace(curve, optimizer="oe_dvae")
    with_notes = markdown_table({**run, "data_notes": ["T: 2 repeated architectures in f were merged"]}, [oe])
    assert "oe_dvae's GP prior: none: no training split." in with_notes
    assert with_notes.rstrip().endswith("Data: T: 2 repeated architectures in f were merged.")
    table = markdown_table({**run, "budget": 2}, [curve], budgets=(1, 25))  # a budget off the report list
    assert "| optimizer | seeds | 1 queries | 2 queries | distinct architectures | minutes per trial |" in table
    assert "| x | 2 | 90.00 ± 0.00 | 91.00 ± 0.00 |" in table
    best = best_architectures_table([curve]).splitlines()
    assert best[-2:] == ["| x | 1 | 5.00 | – | surrogate | 1 | 3 | `arch-b` |", "| x | 2 | 2.00 | 91.00 | table | 0 | 2 | `arch-a` |"]


def _hand_made_run(root: Path, trials: dict[str, dict[int, list[tuple[str, float, float]]]], top: list[str]) -> Path:
    """A run folder written by hand: per optimizer and seed, the (arch, val, test) of each query."""
    budget = len(next(iter(next(iter(trials.values())).values())))
    (root / "run.json").write_text(json.dumps({"config": {"search_space": "s", "dataset": "d"}, "budget": budget,
                                               "optimum": 100.0, "optimum_metric": "test_accuracy",
                                               "top_k": {"k": 2, "metric": "val_accuracy", "archs": top}}))
    for opt, seeds in trials.items():
        for seed, queries in seeds.items():
            log, done = trial_paths(root, opt, seed)
            log.parent.mkdir(parents=True, exist_ok=True)
            best, lines = None, []
            for q, (arch, val, test) in enumerate(queries, start=1):
                best = (val, test) if best is None or val > best[0] else best
                lines.append(json.dumps(dataclasses.asdict(TrajectoryRecord(q, arch, val, test, best[0], best[1],
                                                                            float(q), False, 0.0))))
            log.write_text("\n".join(lines) + "\n")
            done.touch()
    return root


def test_paired_differences_and_top_k_hits_in_aggregate_csv(tmp_path):
    # a beats b by 1, 3 (seeds 0, 1) at query 2; c ran seed 0 only and is worse than both
    run_dir = _hand_made_run(tmp_path, {
        "a": {0: [("x", 1, 50), ("t1", 9, 60)], 1: [("y", 1, 50), ("z", 2, 62)]},
        "b": {0: [("x", 1, 50), ("w", 2, 59)], 1: [("y", 1, 50), ("t2", 8, 59)]},
        "c": {0: [("x", 1, 40), ("v", 2, 41)]}}, top=["t1", "t2"])
    plot_run(run_dir)
    rows = {(r["optimizer"], int(r["queries"])): r for r in csv.DictReader(open(run_dir / "aggregate.csv"))}
    a2, b2, c2 = rows["a", 2], rows["b", 2], rows["c", 2]
    assert a2["best_other"] == "b" and float(a2["diff_to_best_other_mean"]) == pytest.approx(2.0)
    assert float(a2["diff_to_best_other_se"]) == pytest.approx(np.std([1, 3], ddof=1) / np.sqrt(2), abs=1e-4)
    assert a2["paired_seeds"] == "2" and b2["best_other"] == "a" and float(b2["diff_to_best_other_mean"]) == -2.0
    # c's best other is a (mean 61 > b's 59), paired over seed 0 only: 41 - 60, one pair, s.e. 0
    assert (c2["best_other"], float(c2["diff_to_best_other_mean"]), c2["paired_seeds"]) == ("a", -19.0, "1")
    assert float(c2["diff_to_best_other_se"]) == 0.0
    # top-k: a hit t1 at query 2 of seed 0 (1 of 2 trials), b hit t2 at query 2 of seed 1, c never
    assert (rows["a", 1]["top_k_found_share"], rows["a", 1]["top_k_median_query"]) == ("0.0000", "")
    assert (a2["top_k_found_share"], a2["top_k_median_query"]) == ("0.5000", "2")
    assert (c2["top_k_found_share"], c2["top_k_median_query"]) == ("0.0000", "")
    summary = (run_dir / "summary.md").read_text()
    assert "| a | ~+2.00 ± 1.00 vs b |" in summary  # 2 s.e. = 2.0: inside the noise
    assert "| c | ?-19.00 ± 0.00 vs a |" in summary  # one common seed: no noise estimate
    assert "| c | 0 / 1 | – |" in summary and "| a | 1 / 2 | 2 |" in summary
    # the CLI's plot redraws the same files from the logs alone
    (run_dir / "aggregate.csv").unlink()
    assert main(["plot", str(run_dir)]) == 0 and (run_dir / "aggregate.csv").is_file()


def test_crashed_trial_is_reported_and_others_finish(cfg_file, tmp_path, monkeypatch):
    from naslib_oe.errors import CheckpointError
    from naslib_oe.optimizers import OEDVAE

    cfg = load_config(cfg_file)
    # an oe_dvae checkpoint that does not exist is found before any trial, and nothing is written
    missing = {**cfg, "search": {**cfg["search"], "oe_dvae": {**cfg["search"]["oe_dvae"],
                                                             "checkpoint": str(tmp_path / "missing.pt")}}}
    with pytest.raises(CheckpointError, match="missing.pt: no such model file"):
        compare(missing, ["oe_dvae", "rs"], seeds=1, budget=6, run_dir=tmp_path / "run", progress=False)
    assert not (tmp_path / "run" / "run.json").exists()

    def vae_gone(self):
        raise RuntimeError("the VAE went away\nmore detail")

    # a trial that fails at run time: that trial fails, the baseline still runs
    monkeypatch.setattr(OEDVAE, "on_problem", vae_gone)
    result = compare(cfg, ["oe_dvae", "rs"], seeds=1, budget=6, run_dir=tmp_path / "run", progress=False)
    statuses = {o.optimizer: o.status for o in result.outcomes}
    assert statuses == {"oe_dvae": "failed", "rs": "done"}
    assert result.failed[0].message == "RuntimeError: the VAE went away"
    assert "Traceback" in result.failed[0].error and "more detail" in result.failed[0].error
    assert (tmp_path / "run" / "trials" / "oe_dvae" / "seed0.error").is_file()
    _, curves = load_run(tmp_path / "run")
    assert [c.optimizer for c in curves] == ["rs"]
    # a trial that crashed earlier (say, killed for memory) and now finishes loses its error file
    stale = tmp_path / "run" / "trials" / "rs" / "seed1.error"
    stale.write_text("Traceback: MemoryError")
    again = compare(cfg, ["rs"], seeds=2, budget=6, run_dir=tmp_path / "run", resume=True, progress=False)
    assert [o.status for o in again.outcomes] == ["skipped", "done"] and not stale.exists()


@pytest.mark.slow
@pytest.mark.parametrize("optimizer, budget", [("ls", 400), ("oe_dvae:embedding+head", 45)])
def test_resume_after_kill_continues_without_repeats(cfg_file, tmp_path, optimizer, budget):
    """kill -9 a running compare at an exact query (a hook in the optimizer, not a timer), then
    --resume: the same trajectory as an uninterrupted run, none lost or repeated; for a search
    whose rounds refit the VAE's input map too."""
    from tests.kill_plugin import KILL_AT, MARKER_ENV

    cfg_file.write_text(cfg_file.read_text().replace("proposal: pool}", "proposal: pool, finetune: {steps: 3}}"))
    run_dir, marker = tmp_path / "killed", tmp_path / "killed-once"
    argv = ["compare", "--config", str(cfg_file), "--optimizers", f"killonce-{optimizer}", "--seeds", "1",
            "--budget", str(budget), "--out", str(run_dir)]
    script = f"import sys, tests.kill_plugin\nfrom naslib_oe.cli import main\nsys.exit(main({argv!r} + sys.argv[1:]))"
    env = {**os.environ, MARKER_ENV: str(marker), "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    killed = subprocess.run([sys.executable, "-c", script], capture_output=True, env=env, timeout=600)
    assert killed.returncode == -signal.SIGKILL and marker.exists()
    log, done = trial_paths(run_dir, f"killonce-{optimizer}", 0)
    assert len(read_trajectory(log)) == KILL_AT and not done.exists()
    resumed_run = subprocess.run([sys.executable, "-c", script, "--resume"], capture_output=True, text=True, env=env,
                                 timeout=600)
    assert resumed_run.returncode == 0, resumed_run.stderr[-2000:]
    resumed = read_trajectory(log)
    assert [r.query for r in resumed] == list(range(1, budget + 1)) and done.exists()
    assert len({r.arch for r in resumed}) == budget
    # (the killed trial trained its own VAE, the clean run a shared one: the same seeded training)
    reference = compare(load_config(cfg_file), [optimizer], seeds=1, budget=budget, run_dir=tmp_path / "clean", progress=False)
    assert reference.outcomes[0].status == "done"
    clean = read_trajectory(trial_paths(tmp_path / "clean", optimizer, 0)[0])
    assert [(r.arch, r.val_acc, r.best_val) for r in resumed] == [(r.arch, r.val_acc, r.best_val) for r in clean]


def test_truncated_last_line_is_dropped(tmp_path):
    log = tmp_path / "seed0.jsonl"
    good = {"query": 1, "arch": "a", "val_acc": 1.0, "test_acc": None, "best_val": 1.0, "incumbent_test": None,
            "wall_time": 0.1, "surrogate": False, "cost": 0.0}
    log.write_text(json.dumps(good) + "\n" + json.dumps(good)[:20])
    with pytest.warns(UserWarning, match="cut short"):
        assert len(read_trajectory(log, repair=True)) == 1
    assert log.read_text() == json.dumps(good) + "\n"
    log.write_text("{oops\n" + json.dumps(good) + "\n")
    with pytest.raises(ValueError, match="corrupt"):
        read_trajectory(log)


def test_oe_dvae_in_the_harness_with_workers(cfg_file, tmp_path):
    cfg = load_config(cfg_file)
    result = compare(cfg, ["oe_dvae", "rs"], seeds=2, budget=10, run_dir=tmp_path / "run", workers=2,
                     progress=False)
    assert not result.failed, result.failed[0].error if result.failed else ""
    assert (tmp_path / "run" / "vae" / FINAL_MODEL).is_file()  # trained once, shared by the trials
    _, curves = load_run(tmp_path / "run")
    assert {c.optimizer: len(c.seeds) for c in curves} == {"oe_dvae": 2, "rs": 2}
    last = read_trajectory(trial_paths(tmp_path / "run", "rs", 1)[0])[-1]
    assert curves[1].minutes[1] == pytest.approx(last.wall_time / 60) and last.wall_time > 0
    assert main(["plot", str(tmp_path / "run")]) == 0
    assert main(["plot", str(tmp_path / "nothing")]) == 2


def test_ray_backend(cfg_file, tmp_path):
    pytest.importorskip("ray", reason="Ray is an optional extra: pip install -e '.[ray]'")
    cfg = load_config(cfg_file)
    result = compare(cfg, ["rs", "re"], seeds=2, budget=8, run_dir=tmp_path / "ray", backend="ray", progress=False)
    assert sorted((o.optimizer, o.seed, o.status) for o in result.outcomes) == [
        ("re", 0, "done"), ("re", 1, "done"), ("rs", 0, "done"), ("rs", 1, "done")]
    inline = compare(cfg, ["rs"], seeds=1, budget=8, run_dir=tmp_path / "inline", progress=False)
    assert inline.outcomes[0].status == "done"
    same = [r.arch for r in read_trajectory(trial_paths(tmp_path / "ray", "rs", 0)[0])]
    assert same == [r.arch for r in read_trajectory(trial_paths(tmp_path / "inline", "rs", 0)[0])]


def test_a_run_folder_has_one_writer_and_bad_arguments_touch_nothing(cfg_file, tmp_path):
    from naslib_oe.harness.lock import RunLockedError, locked_run_dir

    cfg = load_config(cfg_file)
    run = tmp_path / "run"
    with locked_run_dir(run):  # another process's compare, as far as the lock can tell
        with pytest.raises(RunLockedError, match=f"in use by another naslib-oe process \\(pid {os.getpid()}\\)"):
            compare(cfg, ["rs"], 1, 5, run, progress=False)
    assert not (run / "run.json").exists()
    assert compare(cfg, ["rs"], 1, 5, run, progress=False).failed == []  # released: now it runs
    for seeds, budget, workers in ((0, 5, 1), (1, 0, 1), (1, -5, 1), (1, 5, 0), (1, 5, -3)):
        with pytest.raises(ConfigError, match="at least one seed, a budget >= 1 and workers >= 1"):
            compare(cfg, ["rs"], seeds, budget, tmp_path / "bad", workers=workers, progress=False)
    assert not (tmp_path / "bad").exists()


def _spawned_workers(parent: int) -> list[int]:
    """PIDs of multiprocessing spawn workers whose parent is ``parent`` (Linux /proc)."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = open(f"/proc/{entry}/stat").read()
            cmdline = open(f"/proc/{entry}/cmdline").read()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent and "spawn_main" in cmdline:
            out.append(int(entry))
    return out


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux-only")
def test_pool_workers_die_with_a_killed_compare(tmp_path):
    run = tmp_path / "run"
    script = ("from naslib_oe.config import load_config\nfrom naslib_oe.harness.run import compare\n"
              f"compare(load_config('configs/nb201.yaml'), ['rs'], 2, 15000, {str(run)!r}, workers=2, progress=False)\n")
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 180
    while time.time() < deadline and len(list(run.glob("trials/rs/seed*.jsonl"))) < 2:
        time.sleep(0.5)
    workers = _spawned_workers(proc.pid)
    assert len(workers) == 2, "the compare did not start its two workers in time"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    def running(pid: int) -> bool:  # a zombie (Z) has died; a container's init may not reap it
        try:
            return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            return False

    deadline = time.time() + 20
    while time.time() < deadline and any(running(pid) for pid in workers):
        time.sleep(0.2)
    alive = [pid for pid in workers if running(pid)]
    for pid in alive:  # do not leave them running if the check fails
        os.kill(pid, signal.SIGKILL)
    assert not alive, "pool workers outlived their killed parent"


def test_regret_figure_falls_back_to_validation_without_test_values():
    from naslib_oe.harness.plot import regret_figure

    val = np.array([[73.0, 74.0, 74.5], [73.5, 74.5, 74.9]])
    no_test = Curve("oe_dvae", [0, 1], val, np.full_like(val, np.nan), np.array([3, 3]), np.array([1.0, 1.0]), [])
    run = {"config": {"search_space": "enas", "dataset": "cifar10"}, "optimum": 75.0}
    right = regret_figure(run, [no_test]).axes[1]
    assert "no test values" in right.get_title() and len(right.lines) == 1
    assert right.lines[0].get_ydata() == pytest.approx(75.0 - val.mean(0))
    with_test = Curve("rs", [0, 1], val, val + 19.0, np.array([3, 3]), np.array([1.0, 1.0]), [])
    right = regret_figure({**run, "optimum": 94.0}, [with_test, no_test]).axes[1]
    assert "test accuracy" in right.get_title() and len(right.lines) == 1  # the curve without test values is left out
    assert right.lines[0].get_ydata() == pytest.approx(94.0 - (val + 19.0).mean(0))
