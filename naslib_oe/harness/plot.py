"""Regret plots of a run folder, drawn from its logs alone."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from naslib_oe.harness.aggregate import load_run, markdown_table, write_csv  # noqa: E402


def plot_run(run_dir: str | Path) -> dict[str, Path]:
    """Write ``aggregate.csv``, ``summary.md`` and ``regret.png`` into ``run_dir``."""
    run_dir = Path(run_dir)
    run, curves = load_run(run_dir)
    if not curves:
        raise ValueError(f"{run_dir}: no finished trial to aggregate yet")
    csv_path = write_csv(run, curves, run_dir / "aggregate.csv")
    md = run_dir / "summary.md"
    cfg = run["config"]
    md.write_text(f"# {cfg['search_space']} / {cfg.get('dataset')}: {run['budget']} queries\n\n"
                  + markdown_table(run, curves))

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    colours = plt.get_cmap("viridis")(np.linspace(0, 0.9, len(curves)))
    for c, colour in zip(curves, colours):
        x = np.arange(1, c.best_val.shape[1] + 1)
        mean, se = c.val()
        left.plot(x, mean, color=colour, label=f"{c.optimizer} ({len(c.seeds)} seeds)")
        left.fill_between(x, mean - se, mean + se, color=colour, alpha=0.2)
        if not np.isnan(c.incumbent_test).all():
            mean, se = c.test()
            regret = np.maximum(run["optimum"] - mean, 1e-3)
            right.plot(x, regret, color=colour, label=c.optimizer)
            right.fill_between(x, np.maximum(regret - se, 1e-3), regret + se, color=colour, alpha=0.2)
    left.set(xlabel="queries", ylabel="best validation accuracy so far (%)", title="search (validation)")
    right.set(xlabel="queries", ylabel=f"regret to the optimum {run['optimum']:.2f} (% points)", yscale="log",
              title="incumbent's test accuracy: regret")
    left.legend(loc="lower right")
    for ax in (left, right):
        ax.grid(alpha=0.3)
    fig.suptitle(f"{cfg['search_space']} {cfg.get('dataset')} — mean ± standard error")
    fig.tight_layout()
    png = run_dir / "regret.png"
    fig.savefig(png, dpi=120)
    plt.close(fig)
    return {"csv": csv_path, "markdown": md, "png": png}
