"""Regret plots of a run folder, drawn from its logs alone."""
from __future__ import annotations

from pathlib import Path

import matplotlib
from matplotlib.figure import Figure  # no pyplot: a notebook's backend is left alone
import numpy as np

from naslib_oe.errors import RunFolderError
from naslib_oe.harness.aggregate import (Curve, best_architectures_table, load_run, markdown_table, paired_table,
                                        top_k_table, write_csv)


LINE_STYLES = ("-", "--", "-.", ":")
MARKERS = ("o", "s", "^", "D", "v", "x")


def plot_run(run_dir: str | Path) -> dict[str, Path]:
    """Write ``aggregate.csv``, ``summary.md`` (the table by budget, the paired differences, the
    top-k hits, then each optimizer's best architectures) and ``regret.png`` into ``run_dir``."""
    run_dir = Path(run_dir)
    run, curves = load_run(run_dir)
    if not curves:
        raise RunFolderError(f"{run_dir}: no finished trial to aggregate yet")
    csv_path = write_csv(run, curves, run_dir / "aggregate.csv")
    md = run_dir / "summary.md"
    cfg = run["config"]
    md.write_text(f"# {cfg['search_space']} / {cfg.get('dataset')}: {run['budget']} queries\n\n"
                  + "\n".join(part for part in (markdown_table(run, curves), paired_table(run, curves),
                                                 top_k_table(run, curves), best_architectures_table(curves)) if part))
    png = run_dir / "regret.png"
    regret_figure(run, curves).savefig(png, dpi=120)
    return {"csv": csv_path, "markdown": md, "png": png}


def regret_figure(run: dict, curves: list[Curve]) -> Figure:
    """Best validation accuracy so far (left) and regret to the optimum (right, log scale): of
    the incumbent's test accuracy, or of the best validation accuracy where the benchmark has
    no test values (ENAS)."""
    cfg = run["config"]
    fig = Figure(figsize=(11, 4.2))
    left, right = fig.subplots(1, 2)
    colours = matplotlib.colormaps["viridis"](np.linspace(0, 0.9, len(curves)))
    # a benchmark without test accuracies (ENAS) gets the regret of the best validation value
    by_test = any(not np.isnan(c.incumbent_test).all() for c in curves)
    for i, (c, colour) in enumerate(zip(curves, colours)):
        x = np.arange(1, c.best_val.shape[1] + 1)
        # curves that coincide (re's first queries are random, as rs's are) stay distinguishable
        style = {"color": colour, "linestyle": LINE_STYLES[i % len(LINE_STYLES)],
                 "marker": MARKERS[i % len(MARKERS)], "markevery": (i * 3, max(1, len(x) // 8)), "markersize": 5}
        mean, se = c.val()
        left.plot(x, mean, label=f"{c.optimizer} ({len(c.seeds)} seeds)", **style)
        left.fill_between(x, mean - se, mean + se, color=colour, alpha=0.2)
        if not by_test or not np.isnan(c.incumbent_test).all():
            mean, se = c.test() if by_test else c.val()
            regret = np.maximum(run["optimum"] - mean, 1e-3)
            right.plot(x, regret, label=c.optimizer, **style)
            right.fill_between(x, np.maximum(regret - se, 1e-3), regret + se, color=colour, alpha=0.2)
    left.set(xlabel="queries", ylabel="best validation accuracy so far (%)", title="search (validation)")
    right.set(xlabel="queries", ylabel=f"regret to the optimum {run['optimum']:.2f} (% points)", yscale="log",
              title="incumbent's test accuracy: regret" if by_test else "best validation accuracy: regret (no test values)")
    left.legend(loc="lower right")
    for ax in (left, right):
        ax.grid(alpha=0.3)
    fig.suptitle(f"{cfg['search_space']} {cfg.get('dataset')} — mean ± standard error")
    fig.tight_layout()
    return fig
