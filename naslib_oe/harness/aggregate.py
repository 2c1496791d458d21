"""Aggregates over the trials of a run folder: mean and standard error against queries.

Per optimizer and query count: the best-so-far validation accuracy, the test accuracy of
the incumbent (the best-so-far architecture by validation accuracy) and its regret to the
space's optimum (``run.json``), and the best architectures each optimizer found, flagged
where their value is a surrogate prediction rather than a table entry. Only finished trials
count.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from naslib_oe.errors import RunFolderError
from naslib_oe.harness.runfile import read_run_file
from naslib_oe.harness.trajectory import TrajectoryRecord, read_trajectory

REPORT_BUDGETS = (25, 50, 100, 150)
#: how many of each optimizer's best architectures ``summary.md`` lists
TOP_ARCHITECTURES = 5


@dataclass
class Found:
    """One architecture an optimizer queried, and the trial that first found it."""

    seed: int
    record: TrajectoryRecord


@dataclass
class Curve:
    """``[n_seeds, budget]`` arrays of one optimizer (NaN where the benchmark has no test accuracy)."""

    optimizer: str
    seeds: list[int]
    best_val: np.ndarray
    incumbent_test: np.ndarray
    distinct: np.ndarray  # [n_seeds] distinct architectures per trial (NASLib's optimizers re-query some)
    minutes: np.ndarray   # [n_seeds] wall time per trial, in minutes (across resumes)
    best: list[Found]     # the best distinct architectures over all its trials, by validation accuracy

    @staticmethod
    def _mean_se(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n = len(a)
        return a.mean(0), (a.std(0, ddof=1) / np.sqrt(n) if n > 1 else np.zeros(a.shape[1]))

    def val(self) -> tuple[np.ndarray, np.ndarray]:
        return self._mean_se(self.best_val)

    def test(self) -> tuple[np.ndarray, np.ndarray]:
        return self._mean_se(self.incumbent_test)


def load_run(run_dir: str | Path) -> tuple[dict, list[Curve]]:
    """``run.json`` and one :class:`Curve` per optimizer with at least one finished trial."""
    run_dir = Path(run_dir)
    if not (run_dir / "run.json").is_file():
        raise RunFolderError(f"{run_dir} is not a harness run folder (no run.json)")
    run = read_run_file(run_dir)
    budget = run["budget"]
    curves = []
    for folder in sorted(p for p in (run_dir / "trials").glob("*") if p.is_dir()):
        seeds, vals, tests, distinct, minutes, found = [], [], [], [], [], {}
        for done in sorted(folder.glob("seed*.done"), key=lambda p: int(p.stem[4:])):
            records = read_trajectory(done.with_suffix(".jsonl"))
            if len(records) != budget:
                raise RunFolderError(f"{done.with_suffix('.jsonl')}: {len(records)} queries, the run's budget is {budget}")
            seeds.append(int(done.stem[4:]))
            vals.append([r.best_val for r in records])
            tests.append([np.nan if r.incumbent_test is None else r.incumbent_test for r in records])
            distinct.append(len({r.arch for r in records}))
            minutes.append(records[-1].wall_time / 60)
            for r in records:
                found.setdefault(r.arch, Found(seeds[-1], r))
        if seeds:
            best = sorted(found.values(), key=lambda f: -f.record.val_acc)[:TOP_ARCHITECTURES]
            curves.append(Curve(folder.name, seeds, np.array(vals), np.array(tests), np.array(distinct),
                                np.array(minutes), best))
    return run, curves


def write_csv(run: dict, curves: list[Curve], path: Path) -> Path:
    optimum = run["optimum"]
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["optimizer", "queries", "n_seeds", "best_val_mean", "best_val_se", "incumbent_test_mean",
                    "incumbent_test_se", "regret_mean", "regret_se"])
        for c in curves:
            (vm, vs), (tm, ts) = c.val(), c.test()
            for q in range(len(vm)):
                w.writerow([c.optimizer, q + 1, len(c.seeds), f"{vm[q]:.4f}", f"{vs[q]:.4f}", f"{tm[q]:.4f}",
                            f"{ts[q]:.4f}", f"{optimum - tm[q]:.4f}", f"{ts[q]:.4f}"])
    return path


def markdown_table(run: dict, curves: list[Curve], budgets: tuple[int, ...] = REPORT_BUDGETS) -> str:
    """Incumbent test accuracy (mean ± s.e.) at selected query budgets; validation where no test exists."""
    # the run's own budget is always a column, whatever the report budgets are
    budgets = tuple(dict.fromkeys([b for b in budgets if b < run["budget"]] + [run["budget"]]))
    use_test = all(not np.isnan(c.incumbent_test).all() for c in curves)
    what = "test accuracy of the incumbent" if use_test else "best validation accuracy"
    lines = [f"{what} (%), mean ± standard error; optimum {run['optimum']:.2f} ({run['optimum_metric']})", "",
             "| optimizer | seeds | " + " | ".join(f"{b} queries" for b in budgets)
             + " | distinct architectures | minutes per trial |",
             "|---|---|" + "---|" * len(budgets) + "---|---|"]
    for c in curves:
        mean, se = c.test() if use_test else c.val()
        lines.append(f"| {c.optimizer} | {len(c.seeds)} | " + " | ".join(f"{mean[b - 1]:.2f} ± {se[b - 1]:.2f}"
                                                                         for b in budgets)
                     + f" | {c.distinct.mean():.1f} of {run['budget']} | {c.minutes.mean():.2f} |")
    if "prior" in run and any(c.optimizer == "oe_dvae" for c in curves):
        lines += ["", f"oe_dvae's GP prior: {run['prior']}."]
    if run.get("data_notes"):  # said once here, not warned on every load of the table
        lines += [""] + [f"Data: {note}." for note in run["data_notes"]]
    return "\n".join(lines) + "\n"


def markdown_cell(text: str) -> str:
    """``text`` safe inside a markdown table cell: NB201's arch strings are full of ``|``."""
    return text.replace("|", "\\|")


def best_architectures_table(curves: list[Curve]) -> str:
    """Each optimizer's best architectures over all its trials (markdown), with where each value came from.

    A value is ``table`` when the benchmark holds the architecture and ``surrogate`` when it
    is the surrogate evaluator's prediction (ENAS: decoded architectures outside D-VAE's table).
    """
    lines = [f"Best {TOP_ARCHITECTURES} distinct architectures per optimizer, over all its trials:", "",
             "| optimizer | rank | validation acc. (%) | test acc. (%) | value from | seed | query | architecture |",
             "|---|---|---|---|---|---|---|---|"]
    for c in curves:
        for rank, f in enumerate(c.best, start=1):
            r = f.record
            test = "–" if r.test_acc is None else f"{r.test_acc:.2f}"
            lines.append(f"| {c.optimizer} | {rank} | {r.val_acc:.2f} | {test} | "
                         f"{'surrogate' if r.surrogate else 'table'} | {f.seed} | {r.query} | `{markdown_cell(r.arch)}` |")
    return "\n".join(lines) + "\n"
