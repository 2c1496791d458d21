"""Bad inputs, as a user types them: each ends with one clear line (exit 2) before any work, and
leaves nothing behind that a corrected command would trip over.

The table below is the record of the cases tried (issue "No raw errors"); each row is one
command line, the words its error must contain, and the output it must not have written.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from naslib_oe.cli import main

NB201 = "configs/nb201.yaml"
NB101 = "configs/nb101.yaml"
REPO = Path(__file__).resolve().parents[1]


def _random_bytes(tmp: Path) -> str:
    path = tmp / "random.safetensors"
    path.write_bytes(os.urandom(4096))
    return str(path)


def _a_file(tmp: Path) -> str:
    path = tmp / "a_file"
    path.write_text("not a folder")
    return str(path)


#: (case, argv with {tmp} and {random} / {file} placeholders, words the one-line error contains, a path that must
#: not exist afterwards (relative to tmp) or None)
CASES = [
    ("model of another space", ["compare", "--config", NB201, "--optimizers", "oe_dvae", "--seeds", "1", "--budget",
                                "5", "--set", "search.oe_dvae.checkpoint=zoo:enas-dvae-emb", "--out", "{tmp}/run"],
     "trained on the enas space", "run/run.json"),
    ("random-bytes model file", ["compare", "--config", NB201, "--optimizers", "oe_dvae", "--seeds", "1", "--budget",
                                 "5", "--set", "search.oe_dvae.checkpoint={random}", "--out", "{tmp}/run"],
     "not a readable model file", "run/run.json"),
    ("missing model file", ["compare", "--config", NB201, "--optimizers", "oe_dvae", "--seeds", "1", "--budget", "5",
                            "--set", "search.oe_dvae.checkpoint={tmp}/nope.safetensors", "--out", "{tmp}/run"],
     "no such model file", "run/run.json"),
    ("model path not a string", ["compare", "--config", NB201, "--optimizers", "oe_dvae", "--seeds", "1", "--budget",
                                 "5", "--set", "search.oe_dvae.checkpoint=12", "--out", "{tmp}/run"],
     "must be a path or zoo:<name>", "run/run.json"),
    ("rs budget over the space", ["compare", "--config", NB201, "--optimizers", "rs", "--seeds", "1", "--budget",
                                  "20000", "--out", "{tmp}/run"], "exceeds the 15625 distinct", "run/run.json"),
    ("ls budget over the space", ["compare", "--config", NB201, "--optimizers", "ls", "--seeds", "1", "--budget",
                                  "15626", "--out", "{tmp}/run"], "give a budget <= 15625", "run/run.json"),
    ("search budget over the space", ["search", "--config", NB201, "--set", "search.oe_dvae.bo.budget=20000",
                                      "--out", "{tmp}/search"], "exceeds the 15625 distinct", "search/trajectory.jsonl"),
    ("infinite learning rate", ["train", "--config", NB101, "--set", "search.oe_dvae.train.lr=.inf", "--out",
                                "{tmp}/train"], "lr must be a finite number", "train"),
    ("NaN KL weight", ["train", "--config", NB101, "--set", "search.oe_dvae.model.beta=.nan", "--out", "{tmp}/train"],
     "beta must be a finite number", "train"),
    ("eval count not a number", ["evaluate", "--config", NB201, "--set", "search.oe_dvae.eval.encode_times=abc"],
     "encode_times must be a whole number", None),
    ("eval count zero", ["evaluate", "--config", NB201, "--set", "search.oe_dvae.eval.n_points=0"],
     "eval.n_points must be >= 1", None),
    ("unknown eval key", ["evaluate", "--config", NB201, "--set", "search.oe_dvae.eval.encode=3"],
     "unknown eval settings", None),
    ("unknown reconstruction", ["evaluate", "--config", NB201, "--set", "search.oe_dvae.eval.reconstruction=exact"],
     "eval.reconstruction must be one of", None),
    ("negative predictive seeds", ["evaluate", "--config", NB201, "--set", "search.oe_dvae.predictive_seeds=-1"],
     "predictive_seeds must be >= 0", None),
    ("config is a folder", ["evaluate", "--config", "configs"], "is a folder, not a YAML file", None),
    ("config missing", ["evaluate", "--config", "configs/nb202.yaml"], "does not exist", None),
    ("evaluate --out under a file", ["evaluate", "--config", NB201, "--checkpoint", "zoo:nb201-dvae-emb", "--out",
                                     "{file}/metrics.json"], "is a file; pass a folder", None),
    ("evaluate --out is a folder", ["evaluate", "--config", NB201, "--checkpoint", "zoo:nb201-dvae-emb", "--out",
                                    "{tmp}"], "is a folder; give a file path", None),
    ("train --out is a file", ["train", "--config", NB101, "--out", "{file}"], "is a file; pass a folder", None),
    ("analyze too few points", ["analyze", "--config", NB201, "--checkpoint", "zoo:nb201-dvae-emb", "--out",
                                "{tmp}/an", "--points", "3"], "--points must be at least 10", "an"),
    ("analyze --run missing", ["analyze", "--config", NB201, "--checkpoint", "zoo:nb201-dvae-emb", "--out",
                               "{tmp}/an", "--run", "{tmp}/nope"], "no such run folder", "an/report.md"),
    ("analyze model of another space", ["analyze", "--config", NB201, "--checkpoint", "zoo:enas-dvae-emb", "--out",
                                        "{tmp}/an"], "trained on the enas space", "an/report.md"),
]


@pytest.mark.parametrize("case, argv, words, absent", CASES, ids=[c[0] for c in CASES])
def test_a_bad_input_is_one_line_before_any_work(case, argv, words, absent, tmp_path, capsys, data_dir):
    fill = {"tmp": str(tmp_path), "random": _random_bytes(tmp_path), "file": _a_file(tmp_path)}
    code = main([a.format(**fill) for a in argv])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and words in err[0], err
    if absent is not None:
        assert not (tmp_path / absent).exists(), f"{case}: {absent} was written before the error"


@pytest.mark.parametrize("argv, words", [
    (["analyze", "--config", NB201, "--checkpoint", "zoo:nb201-dvae-emb", "--out", "o", "--points", "-5"],
     "--points: must be at least 1"),
    (["compare", "--config", NB201, "--budget", "0"], "--budget: must be at least 1"),
    (["predictors", "--config", NB201, "--train-sizes", "1,5"], "training sizes must be whole numbers >= 2"),
    (["compare", "--config", NB201, "--seeds", "5-3"], "seeds must be distinct whole numbers >= 0"),
    (["compare", "--config", NB201, "--seeds", "1,1"], "seeds must be distinct whole numbers >= 0"),
    (["compare", "--config", NB201, "--seeds", "a-b"], "seeds must be N, A-B or a comma-separated list"),
])
def test_bad_command_line_numbers_are_refused_by_the_parser(argv, words, capsys):
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2 and words in capsys.readouterr().err


def test_a_corrupt_trial_log_is_found_before_the_resume_starts(tmp_path, capsys, data_dir):
    argv = ["compare", "--config", NB201, "--optimizers", "rs", "--seeds", "2", "--budget", "4", "--out", str(tmp_path)]
    assert main(argv) == 0
    log = tmp_path / "trials" / "rs" / "seed1.jsonl"
    lines = log.read_text().splitlines(keepends=True)
    log.write_text(lines[0] + '{"broken\n' + "".join(lines[2:]))
    (tmp_path / "trials" / "rs" / "seed1.done").unlink()
    capsys.readouterr()
    assert main(argv + ["--resume"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"{log}:2: corrupt log line" in err[0]
    assert len(log.read_text().splitlines()) == 4  # nothing lost


def test_a_trial_that_fails_at_run_time_is_one_line_and_the_finished_trials_are_aggregated(tmp_path, capsys,
                                                                                         monkeypatch, data_dir):
    from naslib_oe.optimizers.baselines import RegularizedEvolution

    def broken(self, epoch):
        raise RuntimeError("the evaluator went away\nsecond line")

    monkeypatch.setattr(RegularizedEvolution, "new_epoch", broken)
    code = main(["compare", "--config", NB201, "--optimizers", "rs,re", "--seeds", "1", "--budget", "3", "--out",
                 str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 1
    error_file = tmp_path / "trials" / "re" / "seed0.error"
    assert err.strip().splitlines()[-1] == (f"trial re seed 0 failed: RuntimeError: the evaluator went away "
                                            f"(traceback: {error_file})")
    assert "Traceback" in error_file.read_text() and "Traceback" not in err
    assert "| rs |" in out and (tmp_path / "aggregate.csv").is_file()  # rs finished and is aggregated


def test_a_run_where_every_trial_fails_says_why_last(tmp_path, capsys, monkeypatch, data_dir):
    from naslib_oe.optimizers.baselines import RandomSearch

    monkeypatch.setattr(RandomSearch, "new_epoch", lambda self, epoch: 1 / 0)
    code = main(["compare", "--config", NB201, "--optimizers", "rs", "--seeds", "1", "--budget", "3", "--out",
                 str(tmp_path)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and "nothing aggregated" in err[-2]
    assert err[-1].startswith("trial rs seed 0 failed: ZeroDivisionError: division by zero")


# --- Ctrl-C -------------------------------------------------------------------------------------
def _interrupt(argv: list[str], started: str, tmp_path: Path, timeout: float = 600) -> tuple[int, str, list[str]]:
    """Run ``argv`` in its own process group, wait until ``started`` appears (a glob under
    tmp_path, or ``stdout:<text>`` for a line the command prints when its work begins), send
    SIGINT to the whole group as a terminal's Ctrl-C does; return the exit code, stderr and the
    processes of the group still alive afterwards."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    out = tmp_path / "stdout.txt"
    with open(out, "w") as stdout:
        # SIGINT back to its default in the child: a shell without job control starts background
        # jobs (CI launched with `&`) with SIGINT ignored, and Python then never raises KeyboardInterrupt
        proc = subprocess.Popen(argv, cwd=REPO, stdout=stdout, stderr=subprocess.PIPE, text=True, env=env,
                                start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))

    def begun() -> bool:
        if started.startswith("stdout:"):
            return started[len("stdout:"):] in out.read_text()
        return bool(list(tmp_path.glob(started)))

    deadline = time.monotonic() + timeout
    while not begun():
        assert proc.poll() is None, f"ended before {started} appeared: {proc.stderr.read()[-2000:]}"
        assert time.monotonic() < deadline, f"{started} never appeared"
        time.sleep(0.2)
    time.sleep(1.0)  # well inside the work
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    left = []
    for _ in range(50):  # multiprocessing's resource tracker ends a moment after its parent
        left = subprocess.run(["pgrep", "-a", "-g", str(proc.pid)], capture_output=True, text=True).stdout.splitlines()
        if not left:
            break
        time.sleep(0.1)
    return proc.returncode, err, left


CTRL_C = [
    ("compare", [sys.executable, "-m", "naslib_oe.cli", "compare", "--config", NB201, "--optimizers", "oe_dvae",
                 "--seeds", "4", "--budget", "150", "--workers", "2", "--out", "{tmp}/run"], "run/trials/*/*.jsonl"),
    ("train", [sys.executable, "-m", "naslib_oe.cli", "train", "--config", NB201, "--set",
               "search.oe_dvae.train.epochs=50", "--set", "search.oe_dvae.train.checkpoint_every=1", "--set",
               "search.oe_dvae.model={{hidden: 32, latent: 8}}", "--out", "{tmp}/train"], "stdout:training "),
    ("search", [sys.executable, "-m", "naslib_oe.cli", "search", "--config", NB201, "--checkpoint",
                "zoo:nb201-dvae-emb", "--set", "search.oe_dvae.bo.budget=400", "--out", "{tmp}/search"],
     "search/trajectory.jsonl"),
    ("run_enas.py", [sys.executable, "examples/run_enas.py", "--smoke", "--set", "search.oe_dvae.train.epochs=50",
                     "--out", "{tmp}/enas"], "stdout:training "),
]


@pytest.mark.slow
@pytest.mark.parametrize("name, argv, started", CTRL_C, ids=[c[0] for c in CTRL_C])
def test_ctrl_c_is_one_line_exit_130_and_leaves_no_worker(name, argv, started, tmp_path, data_dir):
    code, err, left = _interrupt([a.format(tmp=tmp_path) for a in argv], started, tmp_path)
    lines = [line for line in err.replace("\r", "\n").splitlines() if line.strip()]
    assert code == 130, err[-2000:]
    assert "Traceback" not in err and lines[-1].endswith("interrupted; run the same command with --resume to continue")
    assert not left, f"processes of the interrupted command still run: {left}"


# --- training that diverges, and analyze on every space ----------------------------------------------
def test_a_diverging_training_stops_at_once_and_writes_no_nan_model(tmp_path):
    import torch

    from naslib_oe.errors import TrainingDivergedError
    from naslib_oe.models import GraphVAE, VAEConfig
    from naslib_oe.training import FINAL_MODEL, TRAIN_STATE, TrainConfig, train_vae
    from tests.synthetic import ChainSpace

    space = ChainSpace()
    dags = space.sample_many(64, __import__("numpy").random.default_rng(0), unique=False)
    torch.manual_seed(0)
    model = GraphVAE(space, VAEConfig(hidden=16, latent=4))
    config = TrainConfig(epochs=3, batch_size=16, device="cpu")
    train_vae(model, dags, TrainConfig(epochs=1, batch_size=16, device="cpu"), out_dir=tmp_path, progress=False)
    good_state = (tmp_path / TRAIN_STATE).read_bytes()
    (tmp_path / FINAL_MODEL).unlink()

    def poison(epoch: int, step: int) -> None:  # the weights turn NaN after the second step of epoch 2
        if epoch == 1 and step == 1:
            with torch.no_grad():
                next(model.decoder.parameters()).fill_(float("nan"))

    with pytest.raises(TrainingDivergedError, match=r"epoch 2, step 3: .*lower train.lr") as caught:
        train_vae(model, dags, config, out_dir=tmp_path, resume=True, progress=False, on_batch=poison)
    assert str(tmp_path / TRAIN_STATE) in str(caught.value)
    assert (tmp_path / TRAIN_STATE).read_bytes() == good_state  # the last good state, untouched
    assert not (tmp_path / FINAL_MODEL).exists()
    from naslib_oe.errors import CheckpointError

    with pytest.raises(CheckpointError, match="hold NaN or inf"):  # nor can one be saved by hand
        model.save(tmp_path / "by_hand.safetensors")
    assert not (tmp_path / "by_hand.safetensors").exists()


@pytest.mark.slow
def test_analyze_writes_its_report_on_nb201(tmp_path, capsys, data_dir):
    assert main(["analyze", "--config", NB201, "--checkpoint", "zoo:nb201-dvae-emb", "--out", str(tmp_path),
                 "--points", "100"]) == 0
    text = (tmp_path / "report.md").read_text()
    assert "the same for every architecture" in text  # NB201's wiring is fixed: no correlation to report
    assert "| DVAE-EMB (dvae encoder) |" in text and (tmp_path / "graph_properties.png").stat().st_size > 0


def test_analyze_writes_its_report_on_the_synthetic_space(tmp_path):
    from naslib_oe.analysis.report import analyze
    from naslib_oe.models import VAEConfig
    from naslib_oe.training import TrainConfig, fit_vae
    from tests.synthetic import register

    register()
    from naslib_oe.benchmarks import load_benchmark

    bench = load_benchmark("toychain")
    fit_vae(bench.space, bench.dags, VAEConfig(hidden=16, latent=4), TrainConfig(epochs=2, device="cpu"),
            out_dir=tmp_path / "vae", progress=False)
    cfg = tmp_path / "toy.yaml"
    cfg.write_text("search_space: toychain\nsearch:\n  oe_dvae:\n    model: {hidden: 16, latent: 4}\n")
    report = analyze(cfg, [tmp_path / "vae" / "model.safetensors"], tmp_path / "out", n_points=40)
    text = report.read_text()
    assert "40 random table architectures" in text and "the same for every architecture" in text
    assert "nan" not in text


def test_a_gp_fit_on_non_finite_values_is_refused_by_name():
    import torch

    from naslib_oe.bo.surrogate import fit_gp
    from naslib_oe.errors import NonFiniteError

    x, y = torch.randn(8, 3), torch.randn(8)
    y[2] = float("nan")
    x[5, 1] = float("inf")
    with pytest.raises(NonFiniteError, match="1 latents and 1 targets are NaN or inf"):
        fit_gp(x, y)
