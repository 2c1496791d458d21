"""The CLI's shell: help without heavy imports, and one-line errors for deliberate failures only."""
from __future__ import annotations

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
