"""Aggregates over the trials of a run folder: mean and standard error against queries.

Per optimizer and query count: the best-so-far validation accuracy, the test accuracy of
the incumbent (the best-so-far architecture by validation accuracy) and its regret to the
space's optimum (``run.json``), and the best architectures each optimizer found, flagged
where their value is a surrogate prediction rather than a table entry. Only finished trials
count.

Whether a gap is real: at each query count, every optimizer's **paired difference** to the best
other optimizer there (the highest mean), over the seeds both ran, with its standard error;
and, where ``run.json`` lists the space's ``k`` best architectures by validation (tabular
evaluators), the share of trials that had queried one of them by then, with the median query of
those hits.
"""
from __future__ import annotations

import csv
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from naslib_oe.errors import RunFolderError
from naslib_oe.harness.runfile import read_run_file
from naslib_oe.harness.trajectory import TrajectoryRecord, read_trajectory
from naslib_oe.optimizers import is_oe_dvae

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
    hits: np.ndarray | None = None  # [n_seeds] first query of a top-k architecture (0: none); None: no top-k list

    @staticmethod
    def _mean_se(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n = len(a)
        return a.mean(0), (a.std(0, ddof=1) / np.sqrt(n) if n > 1 else np.zeros(a.shape[1]))

    def val(self) -> tuple[np.ndarray, np.ndarray]:
        return self._mean_se(self.best_val)

    def test(self) -> tuple[np.ndarray, np.ndarray]:
        return self._mean_se(self.incumbent_test)

    def values(self, use_test: bool) -> np.ndarray:
        """``[n_seeds, budget]``: the incumbent's test accuracy, or the best validation accuracy."""
        return self.incumbent_test if use_test else self.best_val

    def hit_share(self) -> tuple[np.ndarray, np.ndarray]:
        """``[budget]`` arrays: the share of trials that had queried a top-k architecture by each
        query, and the median query of those hits (NaN before the first)."""
        budget = self.best_val.shape[1]
        found = (self.hits[:, None] > 0) & (self.hits[:, None] <= np.arange(1, budget + 1)[None, :])
        hit_at = np.where(found, self.hits[:, None], np.nan)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns: no hit yet
            return found.mean(0), np.nanmedian(hit_at, axis=0)


@dataclass
class PairedDifference:
    """``[budget]`` arrays: one optimizer minus the best other optimizer at each query count
    (the highest mean there), over the seeds both ran."""

    best_other: list[str]
    mean: np.ndarray
    se: np.ndarray
    n_pairs: np.ndarray


def uses_test(curves: list[Curve]) -> bool:
    """Whether every curve has test accuracies (else the tables compare validation values)."""
    return all(not np.isnan(c.incumbent_test).all() for c in curves)


def paired_difference(a: Curve, b: Curve, use_test: bool) -> tuple[np.ndarray, np.ndarray, int]:
    """``a - b`` over the seeds both ran: ``[budget]`` mean and standard error (std with ddof 1
    over sqrt(n); 0 with one common seed, NaN with none), and the number of common seeds."""
    common = sorted(set(a.seeds) & set(b.seeds))
    diff = (a.values(use_test)[[a.seeds.index(s) for s in common]]
            - b.values(use_test)[[b.seeds.index(s) for s in common]])  # [n_common, budget]
    n, budget = len(common), a.best_val.shape[1]
    mean = diff.mean(0) if n else np.full(budget, np.nan)
    se = diff.std(0, ddof=1) / np.sqrt(n) if n > 1 else np.full(budget, 0.0 if n else np.nan)
    return mean, se, n


def paired_differences(curves: list[Curve]) -> dict[str, PairedDifference]:
    """Each optimizer's paired difference to the best other one, at every query count.

    The standard error is that of the mean of per-seed differences (std with ddof 1 over
    sqrt(n)); it is 0 with one common seed and NaN with none."""
    use_test = uses_test(curves)
    if len(curves) < 2:
        return {}
    means = np.stack([np.nanmean(c.values(use_test), axis=0) for c in curves])  # [n_opt, budget]
    pairs = {(i, j): paired_difference(a, b, use_test)
             for i, a in enumerate(curves) for j, b in enumerate(curves) if i != j}
    out = {}
    for i, c in enumerate(curves):
        others = np.array([j for j in range(len(curves)) if j != i])
        best = others[np.argmax(means[others], axis=0)]  # [budget] index of the best other per query
        q = np.arange(means.shape[1])
        out[c.optimizer] = PairedDifference([curves[j].optimizer for j in best],
                                            np.array([pairs[i, j][0][k] for k, j in zip(q, best)]),
                                            np.array([pairs[i, j][1][k] for k, j in zip(q, best)]),
                                            np.array([pairs[i, j][2] for j in best]))
    return out


def load_run(run_dir: str | Path) -> tuple[dict, list[Curve]]:
    """``run.json`` and one :class:`Curve` per optimizer with at least one finished trial."""
    run_dir = Path(run_dir)
    if not (run_dir / "run.json").is_file():
        raise RunFolderError(f"{run_dir} is not a harness run folder (no run.json)")
    run = read_run_file(run_dir)
    budget = run["budget"]
    top = set(run["top_k"]["archs"]) if run.get("top_k") else None
    curves = []
    for folder in sorted(p for p in (run_dir / "trials").glob("*") if p.is_dir()):
        seeds, vals, tests, distinct, minutes, found, hits = [], [], [], [], [], {}, []
        for done in sorted(folder.glob("seed*.done"), key=lambda p: int(p.stem[4:])):
            records = read_trajectory(done.with_suffix(".jsonl"))
            if len(records) != budget:
                raise RunFolderError(f"{done.with_suffix('.jsonl')}: {len(records)} queries, the run's budget is {budget}")
            seeds.append(int(done.stem[4:]))
            vals.append([r.best_val for r in records])
            tests.append([np.nan if r.incumbent_test is None else r.incumbent_test for r in records])
            distinct.append(len({r.arch for r in records}))
            minutes.append(records[-1].wall_time / 60)
            if top is not None:
                hits.append(next((r.query for r in records if r.arch in top), 0))
            for r in records:
                found.setdefault(r.arch, Found(seeds[-1], r))
        if seeds:
            best = sorted(found.values(), key=lambda f: -f.record.val_acc)[:TOP_ARCHITECTURES]
            curves.append(Curve(folder.name, seeds, np.array(vals), np.array(tests), np.array(distinct),
                                np.array(minutes), best, np.array(hits) if top is not None else None))
    return run, curves


def write_csv(run: dict, curves: list[Curve], path: Path) -> Path:
    """One row per optimizer and query count: means and standard errors, the paired difference
    to the best other optimizer (``diff_*``, in the units the summary compares: incumbent test
    accuracy, or best validation accuracy without test values) and the top-k hits (empty where
    ``run.json`` lists no top-k architectures)."""
    optimum = run["optimum"]
    paired = paired_differences(curves)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["optimizer", "queries", "n_seeds", "best_val_mean", "best_val_se", "incumbent_test_mean",
                    "incumbent_test_se", "regret_mean", "regret_se", "best_other", "diff_to_best_other_mean",
                    "diff_to_best_other_se", "paired_seeds", "top_k_found_share", "top_k_median_query"])
        for c in curves:
            (vm, vs), (tm, ts) = c.val(), c.test()
            d = paired.get(c.optimizer)
            share, median = c.hit_share() if c.hits is not None else (None, None)
            for q in range(len(vm)):
                diff = [d.best_other[q], f"{d.mean[q]:.4f}", f"{d.se[q]:.4f}", int(d.n_pairs[q])] if d else ["", "", "", ""]
                hits = [f"{share[q]:.4f}", "" if np.isnan(median[q]) else f"{median[q]:g}"] if share is not None else ["", ""]
                w.writerow([c.optimizer, q + 1, len(c.seeds), f"{vm[q]:.4f}", f"{vs[q]:.4f}", f"{tm[q]:.4f}",
                            f"{ts[q]:.4f}", f"{optimum - tm[q]:.4f}", f"{ts[q]:.4f}", *diff, *hits])
    return path


def markdown_table(run: dict, curves: list[Curve], budgets: tuple[int, ...] = REPORT_BUDGETS) -> str:
    """Incumbent test accuracy (mean ± s.e.) at selected query budgets; validation where no test exists."""
    # the run's own budget is always a column, whatever the report budgets are
    budgets = report_budgets(run, budgets)
    use_test = uses_test(curves)
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
    if "prior" in run and any(is_oe_dvae(c.optimizer) for c in curves):
        lines += ["", f"oe_dvae's GP prior: {run['prior']}."]
    if run.get("data_notes"):  # said once here, not warned on every load of the table
        lines += [""] + [f"Data: {note}." for note in run["data_notes"]]
    return "\n".join(lines) + "\n"


def report_budgets(run: dict, budgets: tuple[int, ...] = REPORT_BUDGETS) -> tuple[int, ...]:
    """The report budgets below the run's budget, then the run's own budget (always a column)."""
    return tuple(dict.fromkeys([b for b in budgets if b < run["budget"]] + [run["budget"]]))


def paired_table(run: dict, curves: list[Curve], budgets: tuple[int, ...] = REPORT_BUDGETS) -> str:
    """Each optimizer's paired difference to the best other one (markdown), at selected budgets.

    A difference within two standard errors of zero is marked ``~``: inside the noise."""
    paired = paired_differences(curves)
    if not paired:
        return ""
    budgets = report_budgets(run, budgets)
    what = "incumbent test accuracy" if uses_test(curves) else "best validation accuracy"
    lines = [f"Paired difference to the best other optimizer at each budget ({what}, % points, mean ± s.e. "
             "over the seeds both ran; ~ marks a gap within 2 s.e. of zero, inside the noise, and ? one "
             "common seed, no noise estimate):", "",
             "| optimizer | " + " | ".join(f"{b} queries" for b in budgets) + " |", "|---|" + "---|" * len(budgets)]
    for c in curves:
        d = paired[c.optimizer]
        cells = []
        for b in budgets:
            mean, se = d.mean[b - 1], d.se[b - 1]
            noise = "?" if d.n_pairs[b - 1] < 2 else "~" if abs(mean) <= 2 * se else ""
            cells.append(f"{noise}{mean:+.2f} ± {se:.2f} vs {d.best_other[b - 1]}")
        lines.append(f"| {c.optimizer} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def top_k_table(run: dict, curves: list[Curve], budgets: tuple[int, ...] = REPORT_BUDGETS) -> str:
    """The share of trials that queried one of the space's ``k`` best architectures by
    validation (markdown), by budget, with the median query of the hits; empty without a top-k list."""
    if not run.get("top_k") or any(c.hits is None for c in curves):
        return ""
    budgets, k = report_budgets(run, budgets), run["top_k"]["k"]
    lines = [f"Trials that queried one of the space's {k} best architectures by validation "
             f"({len(run['top_k']['archs'])} with ties), and the median query of the hit:", "",
             "| optimizer | " + " | ".join(f"by {b}" for b in budgets) + " | median query of the hit |",
             "|---|" + "---|" * len(budgets) + "---|"]
    for c in curves:
        share, median = c.hit_share()
        n = len(c.seeds)
        last = median[run["budget"] - 1]
        lines.append(f"| {c.optimizer} | " + " | ".join(f"{round(share[b - 1] * n)} / {n}" for b in budgets)
                     + f" | {'–' if np.isnan(last) else f'{last:g}'} |")
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
