"""One optimizer across run folders: a lever table with paired differences to a base run.

Each run folder (``naslib-oe compare --out RUN``) holds one setting of the same experiment
(same benchmark, budget and seeds, a different ``--set``). The table gives, for each folder,
the optimizer's best validation accuracy and incumbent test accuracy at each budget, mean
± s.e., the paired difference to the base folder over the seeds both ran (``~`` when inside 2
s.e. of zero), and the share of trials that queried a top-10 cell by validation. Choose a
lever by the validation columns on seeds kept apart from the reported ones: never by test.

    python benchmarks/bench_levers.py --optimizer oe_dvae base=runs/tr/A_nb201 widen=runs/tr/B_nb201
"""
from __future__ import annotations

import argparse

import numpy as np

from naslib_oe.harness.aggregate import Curve, load_run, paired_difference


def _curve(run_dir: str, optimizer: str) -> Curve:
    _, curves = load_run(run_dir)
    by_name = {c.optimizer: c for c in curves}
    if optimizer not in by_name:
        raise SystemExit(f"{run_dir} has no finished {optimizer} trial (it has {sorted(by_name)})")
    return by_name[optimizer]


def _paired(a: Curve, b: Curve, use_test: bool, q: int) -> str:
    """``a - b`` at query ``q`` over the common seeds, mean ± s.e."""
    mean, se, n = paired_difference(a, b, use_test)
    if n < 2:
        return "–"
    m, e = mean[q - 1], se[q - 1]
    return f"{m:+.2f} ± {e:.2f}" + (" ~" if abs(m) <= 2 * e else "")


def lever_table(runs: dict[str, str], optimizer: str, budgets: list[int]) -> str:
    """Markdown: one row per (folder, budget); the first folder is the base."""
    curves = {name: _curve(path, optimizer) for name, path in runs.items()}
    base_name, base = next(iter(curves.items()))
    lines = [f"| setting | queries | seeds | best val | Δ val to {base_name} | incumbent test | Δ test to {base_name} "
             "| top-10 found |", "|---|---|---|---|---|---|---|---|"]
    for name, c in curves.items():
        (val, val_se), (test, test_se) = c.val(), c.test()
        found = c.hit_share()[0] if c.hits is not None else None
        for q in budgets:
            share = "–" if found is None else f"{round(found[q - 1] * len(c.seeds))} / {len(c.seeds)}"
            same = name == base_name
            lines.append(f"| {name} | {q} | {len(c.seeds)} | {val[q - 1]:.2f} ± {val_se[q - 1]:.2f} | "
                         f"{'–' if same else _paired(c, base, False, q)} | {test[q - 1]:.2f} ± {test_se[q - 1]:.2f} | "
                         f"{'–' if same else _paired(c, base, True, q)} | {share} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", metavar="NAME=RUN", help="run folders, the base first")
    parser.add_argument("--optimizer", default="oe_dvae")
    parser.add_argument("--budgets", default="25,50,100,150")
    args = parser.parse_args()
    runs = dict(item.split("=", 1) for item in args.runs)
    print(lever_table(runs, args.optimizer, [int(b) for b in args.budgets.split(",")]))


if __name__ == "__main__":
    main()
