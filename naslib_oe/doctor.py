"""``naslib-oe doctor``: what this environment can run, and what to do about what it cannot.

Each check returns a :class:`Finding`. ``fail`` means a shipped config or model cannot be
used (exit code 1); ``warn`` means an optional part is unavailable (NASLib, a GPU); each
finding that is not ``ok`` says what to do.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable

OK, WARN, FAIL = "ok", "warn", "FAIL"

NASLIB_RECIPE = ("clone NASLib's Develop branch outside this repository and put it on the path "
                 "(git clone -b Develop https://github.com/automl/NASLib ~/NASLib; export PYTHONPATH=~/NASLib), "
                 "then install what it imports (docs/naslib.md has the pip line)")


@dataclass(frozen=True)
class Finding:
    """One check: its name, ``ok``/``warn``/``FAIL``, what was seen and what to do."""

    check: str
    status: str
    detail: str
    fix: str = ""


def check_data() -> Finding:
    from naslib_oe.benchmarks.data import ENV_DATA, data_status

    rows = data_status()
    bad = [f"{r.relpath} {'missing' if not r.path else 'checksum mismatch'}" for r in rows
           if not r.path or r.checksum == "MISMATCH"]
    folder = os.environ.get(ENV_DATA, "not set")
    if bad:
        return Finding("benchmark data", FAIL, f"${ENV_DATA}={folder}: " + "; ".join(bad),
                       f"set {ENV_DATA} to the folder holding the benchmark files (`naslib-oe data` lists them)")
    return Finding("benchmark data", OK, f"{len(rows)} files found, checksums match (${ENV_DATA}={folder})")


def check_zoo() -> Finding:
    from naslib_oe import zoo
    from naslib_oe.errors import ZooError

    names = zoo.available()
    try:
        for name in names:
            zoo.get(name)
    except ZooError as err:
        return Finding("model zoo", FAIL, str(err), "reinstall naslib_oe (pip install -e .) to restore the files")
    return Finding("model zoo", OK, f"{len(names)} models, sha256 verified: {', '.join(names)}")


def check_torchvision() -> Finding:
    import torch

    try:
        import torchvision
        import torchvision.ops

        torchvision.ops.nms(torch.zeros(1, 4), torch.zeros(1), 0.5)  # fails when built for another torch
    except ImportError:
        return Finding("torchvision", WARN, "not installed (NASLib imports it; nothing else here does)",
                       f"pip install torchvision matching torch {torch.__version__}")
    except Exception as err:  # a compiled-ops mismatch surfaces as RuntimeError or an op lookup error
        return Finding("torchvision", WARN, f"torchvision {torchvision.__version__} does not run with torch "
                       f"{torch.__version__}: {type(err).__name__}: {str(err).splitlines()[0]}",
                       f"install the torchvision release built for torch {torch.__version__}")
    return Finding("torchvision", OK, f"torchvision {torchvision.__version__} runs with torch {torch.__version__}")


def check_naslib() -> Finding:
    from naslib_oe import naslib_compat
    from naslib_oe.naslib.runner import NASLibMissing, require_naslib

    try:
        require_naslib()
    except NASLibMissing as err:
        reason = str(err).splitlines()[0]
        fix = NASLIB_RECIPE
        if "No module named" in reason:
            missing = reason.split("No module named")[-1].strip(" ').\"")
            fix = f"pip install {missing.split('.')[0]}" if "naslib" not in missing else NASLIB_RECIPE
        return Finding("NASLib (optional)", WARN, reason, fix)
    return Finding("NASLib (optional)", OK, naslib_compat.provenance())


def check_gpu() -> Finding:
    import torch

    if torch.cuda.is_available():
        return Finding("GPU (optional)", OK, torch.cuda.get_device_name(0))
    return Finding("GPU (optional)", WARN, f"none visible to torch {torch.__version__}; training runs on the CPU "
                   f"(the zoo models need no training)", "nothing to do unless you train large models")


CHECKS: tuple[Callable[[], Finding], ...] = (check_data, check_zoo, check_torchvision, check_naslib, check_gpu)


def diagnose(checks: tuple[Callable[[], Finding], ...] = CHECKS) -> list[Finding]:
    """Run every check; a check that crashes is itself a finding, so the report is complete."""
    findings = []
    for check in checks:
        try:
            findings.append(check())
        except Exception as err:  # the doctor reports, it does not stop at the first problem
            name = check.__name__.removeprefix("check_")
            findings.append(Finding(name, FAIL, f"the check crashed: {type(err).__name__}: {err}"))
    return findings


def report(findings: list[Finding]) -> str:
    """The findings as aligned lines, each problem followed by what to do."""
    width = max(len(f.check) for f in findings)
    lines = []
    for f in findings:
        lines.append(f"{f.status:<4}  {f.check:<{width}}  {f.detail}")
        if f.status != OK and f.fix:
            lines.append(f"{'':<4}  {'':<{width}}  -> {f.fix}")
    return "\n".join(lines)
