"""The CLI's shell: help without heavy imports, and one-line errors for deliberate failures only."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from naslib_oe.cli import main
from naslib_oe.errors import ConfigError

HEAVY = ("torch", "botorch", "gpytorch", "sklearn")
VERBS = ("train", "evaluate", "search", "compare", "plot", "analyze", "predictors", "zoo", "data", "doctor")


@pytest.mark.parametrize("argv", [["--help"]] + [[verb, "--help"] for verb in VERBS])
def test_help_imports_no_heavy_library(argv):
    probe = ("import sys\nfrom naslib_oe.cli import main\ntry:\n    main(%r)\nexcept SystemExit:\n    pass\n"
             "print(','.join(m for m in %r if m in sys.modules), file=sys.stderr)" % (argv, HEAVY))
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert "usage: naslib-oe" in done.stdout
    assert done.stderr.strip().splitlines()[-1:] in ([], [""]), f"--help imported {done.stderr.strip()}"


def test_deliberate_errors_are_one_line_and_bugs_keep_their_traceback(monkeypatch, capsys):
    import naslib_oe.cli as cli

    def bad_setting(args):
        raise ConfigError("search.oe_dvae.train.lr: must be > 0")

    def bug(args):
        raise ValueError("a real bug")

    monkeypatch.setattr(cli, "_cmd_data", bad_setting)
    assert main(["data"]) == 2
    assert capsys.readouterr().err.strip() == "naslib-oe data: search.oe_dvae.train.lr: must be > 0"
    monkeypatch.setattr(cli, "_cmd_data", bug)
    with pytest.raises(ValueError, match="a real bug"):
        main(["data"])


def test_unwritable_out_is_a_one_line_error(tmp_path, capsys):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    code = main(["compare", "--config", "configs/nb201.yaml", "--optimizers", "rs", "--seeds", "1", "--budget", "2",
                 "--out", str(blocked / "run")])
    assert code == 2 and "cannot create the output folder" in capsys.readouterr().err


def test_importing_naslib_oe_hides_torchs_jit_notice_and_nothing_else():
    """The filter is narrow: torch's jit.script notice (raised while PyG imports) is hidden once
    naslib_oe is imported, in any process; the same text from another module still shows."""
    quiet = subprocess.run([sys.executable, "-c", "import naslib_oe, torch_geometric, gpytorch"], capture_output=True,
                           text=True)
    loud = subprocess.run([sys.executable, "-c", "import torch_geometric"], capture_output=True, text=True)
    other = subprocess.run([sys.executable, "-c", "import naslib_oe, warnings\n"
                            "warnings.warn('`torch.jit.script` is deprecated', FutureWarning)"], capture_output=True,
                           text=True)
    assert quiet.returncode == loud.returncode == other.returncode == 0
    assert "torch.jit.script" in loud.stderr and quiet.stderr == ""
    assert "FutureWarning" in other.stderr


def test_a_config_is_parsed_once_into_a_typed_run_config(monkeypatch, tmp_path, data_dir):
    """compare, the pipeline and the optimizers share one parse of the config: oe_settings runs
    once for a whole CLI compare of two optimizers (not once per trial and per module)."""
    import naslib_oe.config as config

    calls = []
    real = config.oe_settings
    monkeypatch.setattr(config, "oe_settings", lambda *a, **k: calls.append(1) or real(*a, **k))
    run = config.parse_config("configs/nb201.yaml", ["seed=3", "search.oe_dvae.bo.budget=20"])
    assert (run.space, run.dataset, run.seed, run.settings.bo.budget) == ("nasbench201", "cifar10", 3, 20)
    assert run.settings.train.seed == 3 and run.with_seed(7).settings.train.seed == 7
    assert run.with_checkpoint("x.safetensors").raw["search"]["oe_dvae"]["checkpoint"] == "x.safetensors"
    assert run.raw["search"]["oe_dvae"]["checkpoint"] == "zoo:nb201-dvae-emb"  # the original is unchanged
    from naslib_oe.harness import compare

    result = compare(run, ["rs", "oe_dvae"], seeds=1, budget=3, run_dir=tmp_path, progress=False)
    assert not result.failed, result.failed[0].error
    assert len(calls) == 1  # the trials, their problem and the oe_dvae optimizer read the parsed object
    assert json.loads((tmp_path / "run.json").read_text())["config"]["seed"] == 3  # the plain dict, recorded


def test_compare_runs_a_range_or_a_list_of_seeds(tmp_path, data_dir):
    assert main(["compare", "--config", "configs/nb201.yaml", "--optimizers", "rs", "--seeds", "3-4", "--budget", "2",
                 "--out", str(tmp_path / "range")]) == 0
    assert sorted(p.name for p in (tmp_path / "range" / "trials" / "rs").glob("*.jsonl")) == ["seed3.jsonl", "seed4.jsonl"]
    assert main(["compare", "--config", "configs/nb201.yaml", "--optimizers", "rs", "--seeds", "7,2", "--budget", "2",
                 "--out", str(tmp_path / "list")]) == 0
    assert sorted(p.name for p in (tmp_path / "list" / "trials" / "rs").glob("*.jsonl")) == ["seed2.jsonl", "seed7.jsonl"]
