"""benchmarks/bench_convergence.py on a tiny budget: two runs, one CSV, one figure, a resumable save."""
import csv
import importlib.util
import sys
from pathlib import Path

import pytest
from PIL import Image

from naslib_oe.models import GraphVAE
from naslib_oe.training import FINAL_MODEL

ROOT = Path(__file__).resolve().parent.parent
TINY = ["--set", "search.oe_dvae.model={hidden: 16, latent: 4, op_embedding_dim: 3}",
        "--set", "search.oe_dvae.train.batch_size=256", "--set", "search.oe_dvae.train.device=cpu"]


def _bench():
    if "bench_convergence" not in sys.modules:  # dataclasses look their module up in sys.modules
        spec = importlib.util.spec_from_file_location("bench_convergence", ROOT / "benchmarks" / "bench_convergence.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["bench_convergence"] = module
        spec.loader.exec_module(module)
    return sys.modules["bench_convergence"]


def test_two_runs_share_one_csv_and_figure(tmp_path, data_dir):
    bench = _bench()
    cfg = str(ROOT / "configs" / "nb201.yaml")
    bench.main(["--minutes", "0.05", "--every", "0.02", "--out", str(tmp_path), "--recon-graphs", "40",
                "--prior-points", "30", "--no-progress",
                "--config", cfg, *TINY, "--label", "recipe",
                "--config", cfg, *TINY, "--set", "search.oe_dvae.train.recipe=paper", "--label", "paper"])
    rows = list(csv.DictReader(open(tmp_path / "convergence.csv")))
    assert {r["label"] for r in rows} == {"recipe", "paper"}
    for label in ("recipe", "paper"):
        mine = [r for r in rows if r["label"] == label]
        minutes = [float(r["minutes"]) for r in mine]
        assert len(mine) >= 2 and minutes[0] == 0 and minutes == sorted(minutes)
        assert minutes[-1] >= 0.05  # stopped at the budget, not before
        assert all(0 <= float(r["recon"]) <= 1 and 0 <= float(r["validity"]) <= 1 for r in mine)
        assert float(mine[-1]["nll"]) < float(mine[0]["nll"])  # it trained
    assert Image.open(tmp_path / "convergence.png").size[0] > 500
    bench.main(["--replot", str(tmp_path / "convergence.csv"), "--out", str(tmp_path / "again")])
    assert Image.open(tmp_path / "again" / "convergence.png").size == Image.open(tmp_path / "convergence.png").size


def test_saved_run_is_a_loadable_model_and_options_are_checked(tmp_path, data_dir):
    bench = _bench()
    cfg = str(ROOT / "configs" / "nb201.yaml")
    bench.main(["--minutes", "5", "--every", "5", "--out", str(tmp_path / "o"), "--save", str(tmp_path / "s"),
                "--recon-graphs", "20", "--prior-points", "10", "--no-progress",
                "--config", cfg, *TINY, "--set", "search.oe_dvae.train.epochs=1"])
    assert GraphVAE.load(tmp_path / "s" / FINAL_MODEL).config.hidden == 16
    with pytest.raises(SystemExit):
        bench.main(["--minutes", "1", "--out", str(tmp_path)])  # no --config
    with pytest.raises(SystemExit):
        bench.main(["--minutes", "0", "--out", str(tmp_path), "--config", cfg])
