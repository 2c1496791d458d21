"""examples/run_enas.py runs end to end (its --smoke setting) and writes parseable outputs."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent


def warning_lines(stderr: str) -> list[str]:
    """The lines of a command's stderr that a warning printed (progress bars aside)."""
    return [line for line in stderr.replace("\r", "\n").splitlines() if "Warning" in line or "warnings.warn" in line]


@pytest.mark.slow
def test_a_python_api_compare_with_pool_workers_prints_no_warning(tmp_path, data_dir):
    code = ("from naslib_oe.config import load_config\nfrom naslib_oe.harness import compare\n"
            "r = compare(load_config('configs/nb201.yaml'), ['oe_dvae'], seeds=2, budget=12, "
            f"run_dir={str(tmp_path / 'run')!r}, workers=2)\nassert not r.failed, r.failed[0].error\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "NASLIB_OE_DATA": str(data_dir)})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert warning_lines(proc.stderr) == []
    assert len((tmp_path / "run" / "trials" / "oe_dvae" / "seed1.jsonl").read_text().splitlines()) == 12


@pytest.mark.slow
def test_bench_vae_prints_no_warning(data_dir):
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_vae.py"), "--help"], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0 and warning_lines(proc.stderr) == []


@pytest.mark.slow
def test_run_enas_smoke(tmp_path, data_dir):
    out = tmp_path / "enas"
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / "run_enas.py"), "--smoke", "--out", str(out)],
                          capture_output=True, text=True, env={**os.environ, "NASLIB_OE_DATA": str(data_dir)},
                          timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert warning_lines(proc.stderr) == []  # third-party notices stay hidden; data facts go to the summary
    results = json.loads((out / "results.json").read_text())
    assert results["mode"] == "smoke"
    assert set(results["metrics"]) == {"vae", "predictive"}
    search = results["search"]
    assert search["queries"] == 10 and search["surrogate_quality"]["spearman"] > 0.8
    trajectory = [json.loads(line) for line in (out / "trajectory.jsonl").read_text().splitlines()]
    assert len(trajectory) == 10 and len({t["arch"] for t in trajectory}) == 10
    assert all(t["source"] != "init" for t in trajectory)  # the training table is the prior
    assert search["surrogate_queries"] == sum(t["surrogate"] for t in trajectory)
    assert search["best"]["val_acc"] == max(t["val_acc"] for t in trajectory)
    summary = (out / "summary.md").read_text()
    assert "| round | queries |" in summary and "reduced run" in summary
    assert "Data: ENAS: 5 repeated architectures" in summary
    for png in results["best_pngs"]:
        assert Image.open(png).size[0] > 100
    assert "surrogate" in proc.stdout

    # a run stopped mid-search (its last line cut by the kill) goes on from its log with --resume
    full = (out / "trajectory.jsonl").read_text().splitlines(keepends=True)
    (out / "trajectory.jsonl").write_text("".join(full[:4]) + full[4][:20])
    (out / "results.json").unlink()
    metrics = json.loads((out / "metrics.json").read_text())
    metrics["vae"]["validity"] = 0.123  # a marker: --resume reads the metrics measured before the stop
    (out / "metrics.json").write_text(json.dumps(metrics))
    resumed = subprocess.run([sys.executable, str(ROOT / "examples" / "run_enas.py"), "--smoke", "--out", str(out),
                              "--resume"], capture_output=True, text=True,
                             env={**os.environ, "NASLIB_OE_DATA": str(data_dir)}, timeout=900)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "4 logged queries are replayed" in resumed.stdout
    def answers(lines):  # everything but the wall clock
        return [{k: v for k, v in json.loads(line).items() if k != "wall_time"} for line in lines]

    resumed_log = (out / "trajectory.jsonl").read_text().splitlines()
    # the replayed queries are kept as logged, and the continuation is the uninterrupted run's
    # (the GP fits seed their own RNG, so skipping the metrics' GP fits changes nothing)
    assert answers(resumed_log) == answers(full)
    assert len({json.loads(line)["arch"] for line in resumed_log}) == 10
    assert json.loads((out / "results.json").read_text())["metrics"]["vae"]["validity"] == 0.123
    # a log from other settings is refused, naming the file
    edited = full[:1] + [full[1].replace(json.loads(full[1])["arch"], json.loads(full[2])["arch"])]
    (out / "trajectory.jsonl").write_text("".join(edited))
    refused = subprocess.run([sys.executable, str(ROOT / "examples" / "run_enas.py"), "--smoke", "--out", str(out),
                              "--resume"], capture_output=True, text=True,
                             env={**os.environ, "NASLIB_OE_DATA": str(data_dir)}, timeout=900)
    assert refused.returncode == 2 and "trajectory.jsonl: query 2" in refused.stderr, refused.stderr[-2000:]


@pytest.mark.slow
def test_run_enas_uses_the_shipped_model(tmp_path, data_dir):
    """The main job's default model: the zoo's DVAE-EMB, loaded (sha256-checked) instead of trained."""
    import pytest

    from naslib_oe import zoo

    if "enas-dvae-emb" not in zoo.available():
        pytest.skip("zoo:enas-dvae-emb is not shipped in this checkout")
    out = tmp_path / "enas"
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / "run_enas.py"), "--smoke", "--checkpoint",
                           "zoo:enas-dvae-emb", "--out", str(out)],
                          capture_output=True, text=True, env={**os.environ, "NASLIB_OE_DATA": str(data_dir)},
                          timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "zoo:enas-dvae-emb" in proc.stdout and not (out / "vae").exists()  # nothing was trained
    results = json.loads((out / "results.json").read_text())
    card = zoo.get("enas-dvae-emb").card
    assert results["metrics"]["vae"]["validity"] > 0.9 and card["metrics"]["vae"]["validity"] > 0.9
    summary = (out / "summary.md").read_text()
    assert "| predictive RMSE" in summary and "paper (DVAE-EMB)" in summary
