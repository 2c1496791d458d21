"""``naslib-oe doctor``: every check reported, failures with what to do, the exit code."""
import pytest

from naslib_oe import doctor
from naslib_oe.cli import main


def test_doctor_passes_with_data_and_says_what_optional_parts_need(monkeypatch, data_dir, capsys):
    monkeypatch.setenv("NASLIB_OE_DATA", str(data_dir))
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    for check in ("benchmark data", "model zoo", "torchvision", "NASLib (optional)", "GPU (optional)"):
        assert check in out
    assert "ok    benchmark data" in out and "ok    model zoo" in out
    naslib = next(f for f in doctor.diagnose((doctor.check_naslib,)))
    assert naslib.status == doctor.OK or naslib.fix  # present, or a recipe to get it


def test_doctor_fails_on_missing_data_and_names_the_folder(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("NASLIB_OE_DATA", str(tmp_path / "nowhere"))
    monkeypatch.setenv("NASLIB_OE_CACHE", str(tmp_path / "cache"))
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if "benchmark data" in line)
    assert line.startswith("FAIL") and str(tmp_path / "nowhere") in line and "nb201/nb201_table.csv missing" in line
    assert "-> set NASLIB_OE_DATA" in out


def test_a_crashing_check_is_a_finding_not_a_crash():
    def check_broken():
        raise RuntimeError("boom")

    findings = doctor.diagnose((check_broken, doctor.check_gpu))
    assert [f.check for f in findings] == ["broken", "GPU (optional)"]
    assert findings[0].status == doctor.FAIL and "RuntimeError: boom" in findings[0].detail


@pytest.mark.parametrize("reason, fix", [
    ("No module named 'six'", "pip install six"),
    ("No module named 'nasbench_pytorch.model'", "pip install nasbench_pytorch"),
    ("No module named 'naslib'", "git clone -b Develop"),
])
def test_naslib_finding_names_the_missing_module(monkeypatch, reason, fix):
    from naslib_oe.naslib import runner

    def missing():
        raise runner.NASLibMissing(runner.MISSING_NASLIB.format(error=f"ModuleNotFoundError: {reason}"))

    monkeypatch.setattr(runner, "require_naslib", missing)
    finding = doctor.check_naslib()
    assert finding.status == doctor.WARN and fix in finding.fix
