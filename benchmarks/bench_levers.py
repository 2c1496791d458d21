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

from naslib_oe.harness.aggregate import Curve, load_run


def _curve(run_dir: str, optimizer: str) -> Curve:
    _, curves = load_run(run_dir)
    by_name = {c.optimizer: c for c in curves}
    if optimizer not in by_name:
        raise SystemExit(f"{run_dir} has no finished {optimizer} trial (it has {sorted(by_name)})")
    return by_name[optimizer]


def _paired(a: Curve, b: Curve, values: str, q: int) -> str:
    """``a - b`` at query ``q`` over the common seeds, mean ± s.e."""
    common = sorted(set(a.seeds) & set(b.seeds))
    if len(common) < 2:
        return "–"
    da, db = getattr(a, values), getattr(b, values)
    diff = da[[a.seeds.index(s) for s in common], q - 1] - db[[b.seeds.index(s) for s in common], q - 1]
    mean, se = diff.mean(), diff.std(ddof=1) / np.sqrt(len(common))
    return f"{mean:+.2f} ± {se:.2f}" + (" ~" if abs(mean) <= 2 * se else "")


def lever_table(runs: dict[str, str], optimizer: str, budgets: list[int]) -> str:
    """Markdown: one row per (folder, budget); the first folder is the base."""
    curves = {name: _curve(path, optimizer) for name, path in runs.items()}
    base_name, base = next(iter(curves.items()))
    lines = [f"| setting | queries | seeds | best val | Δ val to {base_name} | incumbent test | Δ test to {base_name} "
             "| top-10 found |", "|---|---|---|---|---|---|---|---|"]
    for name, c in curves.items():
        for q in budgets:
            val, test = c.best_val[:, q - 1], c.incumbent_test[:, q - 1]
            se = (lambda a: a.std(ddof=1) / np.sqrt(len(a)) if len(a) > 1 else 0.0)
            share = "–" if c.hits is None else f"{int(((c.hits > 0) & (c.hits <= q)).sum())} / {len(c.seeds)}"
            same = name == base_name
            lines.append(f"| {name} | {q} | {len(c.seeds)} | {val.mean():.2f} ± {se(val):.2f} | "
                         f"{'–' if same else _paired(c, base, 'best_val', q)} | {test.mean():.2f} ± {se(test):.2f} | "
                         f"{'–' if same else _paired(c, base, 'incumbent_test', q)} | {share} |")
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
