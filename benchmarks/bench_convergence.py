"""Time to quality of a graph-VAE training recipe: quality against training wall time.

Trains from scratch and, every ``--every`` minutes of *training* time (evaluation is not
counted), records on fixed held-out graphs:

* ``nll``: the teacher-forced reconstruction NLL per graph (z sampled from the posterior,
  as in the training loss);
* ``recon``: D-VAE's reconstruction accuracy by the likelihood method (exact in
  distribution, see :mod:`naslib_oe.metrics`) on ``--recon-graphs`` held-out graphs;
* ``validity``: the share of valid decodes of ``--prior-points`` prior samples scaled to
  the training latents.

Each ``--config`` starts a run; the ``--set`` and ``--label`` options after it belong to
that run, so one call compares recipes in one figure::

    python benchmarks/bench_convergence.py --minutes 45 --out runs/convergence \\
        --config configs/enas.yaml --label recipe \\
        --config configs/enas.yaml --set search.oe_dvae.train.recipe=paper --label paper

Writes ``convergence.csv`` (one row per run and checkpoint) and ``convergence.png``
(NLL, reconstruction and validity against minutes, one line per run) into ``--out``.
Runs go one after another, each with all CPU threads; nothing else should run beside it.
``--save DIR`` also keeps the trained model and its resumable training state (this is how
the zoo models were trained), and ``--replot A.csv B.csv ... --out DIR`` draws the lines of
earlier calls in one figure without training.
"""
from __future__ import annotations

import argparse
import csv
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

from naslib_oe.metrics import prior_decodes, reconstruction_accuracy, validity
from naslib_oe.models import GraphVAE
from naslib_oe.pipeline import setup
from naslib_oe.training import resolve_device, train_vae

FIELDS = ("label", "minutes", "epoch", "step", "nll", "recon", "validity")


@dataclass
class RunSpec:
    """One line of the figure: a config file, its overrides and a label."""

    config: str
    overrides: list[str] = field(default_factory=list)
    label: str = ""


def split_runs(argv: list[str]) -> tuple[list[list[str]], list[str]]:
    """``argv`` -> (one token list per ``--config``, starting with its path; the common options)."""
    groups: list[list[str]] = []
    common: list[str] = []
    tokens = iter(argv)
    for token in tokens:
        if token == "--config":
            groups.append([next(tokens, "")])
        elif token in ("--set", "--label") and groups:
            groups[-1] += [token, next(tokens, "")]
        else:
            common.append(token)
    return groups, common


def parse_runs(argv_groups: list[list[str]]) -> list[RunSpec]:
    runs = []
    for group in argv_groups:
        run = RunSpec(group[0])
        rest = iter(group[1:])
        for flag in rest:
            value = next(rest, None)
            if value is None:
                raise SystemExit(f"{flag} needs a value")
            if flag == "--set":
                run.overrides.append(value)
            elif flag == "--label":
                run.label = value
            else:
                raise SystemExit(f"unknown option {flag!r} after --config (expected --set or --label)")
        run.label = run.label or " ".join([Path(run.config).stem, *run.overrides])
        runs.append(run)
    return runs


class Probe:
    """Evaluates a model on fixed held-out graphs; keeps its own random streams."""

    def __init__(self, model: GraphVAE, train, held_out, recon_graphs: int, prior_points: int):
        self.model, self.train = model, train
        self.held_out = held_out[:recon_graphs]
        self.prior_points = prior_points

    @torch.no_grad()
    def __call__(self) -> dict[str, float]:
        model = self.model
        model.eval()
        batch = model.space.collate(self.held_out).to(model.device)
        gen = torch.Generator(device=model.device).manual_seed(0)
        nll = model.loss_with_noise(batch, model.sample_noise(len(batch), gen)).recon.item() / len(batch)
        recon = reconstruction_accuracy(model, self.held_out, seed=0)
        latents = model.embed(self.train[:: max(1, len(self.train) // 2000)])
        decodes = prior_decodes(model, latents, n_points=self.prior_points, decode_times=1)
        valid = validity(decodes, model.space)[0]
        model.train()
        return {"nll": nll, "recon": recon, "validity": valid}


def run_one(spec: RunSpec, minutes: float, every: float, recon_graphs: int, prior_points: int,
            progress: bool, save: Path | None = None, resume: bool = False) -> list[dict]:
    s = setup(spec.config, spec.overrides)
    train_cfg = s.settings.train
    torch.manual_seed(train_cfg.seed)
    model = GraphVAE(s.bench.space, s.settings.model).to(resolve_device(train_cfg.device))
    probe = Probe(model, s.data.train, s.data.test, recon_graphs, prior_points)
    rows: list[dict] = []
    clock = {"train": 0.0, "since": time.perf_counter(), "next": 0.0}

    def record(epoch: int, step: int) -> None:
        row = {"label": spec.label, "minutes": clock["train"] / 60, "epoch": epoch, "step": step, **probe()}
        rows.append(row)
        print(f"[{spec.label}] {row['minutes']:6.1f} min  epoch {epoch:3d}  nll {row['nll']:7.3f}  "
              f"recon {100 * row['recon']:6.2f} %  validity {100 * row['validity']:6.2f} %",
              flush=True)
        clock["next"] += every * 60

    steps = {"n": 0}

    def on_batch(epoch: int, step: int) -> bool:
        now = time.perf_counter()
        clock["train"] += now - clock["since"]
        steps["n"] += 1
        if clock["train"] >= clock["next"] or clock["train"] >= minutes * 60:
            record(epoch, steps["n"])
        clock["since"] = time.perf_counter()  # evaluation time is not training time
        return clock["train"] >= minutes * 60

    record(0, 0)
    clock["since"] = time.perf_counter()
    history = train_vae(model, s.data.train, train_cfg, out_dir=save, resume=resume, progress=progress,
                        on_batch=on_batch)
    if not rows or rows[-1]["step"] != steps["n"]:
        record(len(history), steps["n"])
    return rows


def read_rows(path: Path) -> list[dict]:
    """The rows of a ``convergence.csv``, numbers as floats."""
    if not path.is_file():
        raise SystemExit(f"--replot: {path} does not exist")
    with open(path, newline="") as f:
        return [{k: (v if k == "label" else float(v)) for k, v in row.items()} for row in csv.DictReader(f)]


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    panels = (("nll", "held-out reconstruction NLL (nats/graph)", True),
              ("recon", "reconstruction accuracy (%)", False), ("validity", "validity of prior decodes (%)", False))
    for label in dict.fromkeys(r["label"] for r in rows):
        mine = [r for r in rows if r["label"] == label]
        x = [r["minutes"] for r in mine]
        for ax, (key, _, _) in zip(axes, panels):
            y = [r[key] * (1 if key == "nll" else 100) for r in mine]
            ax.plot(x, y, marker="o", ms=3, label=label)
    for ax, (_, title, log) in zip(axes, panels):
        ax.set_xlabel("training wall time (minutes)")
        ax.set_title(title)
        ax.grid(alpha=0.3)
        if log:
            ax.set_yscale("log")
    axes[1].axhline(99, color="grey", ls=":", lw=1)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    import sys
    groups, common = split_runs(list(sys.argv[1:] if argv is None else argv))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, help="training wall time per run (required unless --replot)")
    parser.add_argument("--replot", nargs="+", metavar="CSV", help="draw these convergence.csv files in one figure")
    parser.add_argument("--every", type=float, default=None, help="minutes between evaluations (default minutes/12)")
    parser.add_argument("--out", required=True, help="folder for convergence.csv and convergence.png")
    parser.add_argument("--recon-graphs", type=int, default=300, help="held-out graphs for reconstruction")
    parser.add_argument("--prior-points", type=int, default=500, help="prior samples for validity")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: all)")
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument("--save", help="also keep each run's checkpoints and final model in SAVE/<label> "
                                       "(as `naslib-oe train --out` does; with one run, in SAVE itself)")
    parser.add_argument("--resume", action="store_true", help="with --save: continue from the saved training state")
    args = parser.parse_args(common)
    out = Path(args.out)
    if args.replot:
        rows = [row for path in args.replot for row in read_rows(Path(path))]
        out.mkdir(parents=True, exist_ok=True)
        plot(rows, out / "convergence.png")
        print(f"wrote {out / 'convergence.png'}")
        return
    if not groups:
        parser.error("give at least one --config")
    if args.minutes is None or args.minutes <= 0:
        parser.error("--minutes must be given and positive")
    if args.threads:
        torch.set_num_threads(args.threads)
    runs = parse_runs(groups)
    out.mkdir(parents=True, exist_ok=True)
    every = args.every or args.minutes / 12
    rows: list[dict] = []
    for spec in runs:
        save = None
        if args.save:
            save = Path(args.save) if len(runs) == 1 else Path(args.save) / spec.label.replace(" ", "_")
        rows += run_one(spec, args.minutes, every, args.recon_graphs, args.prior_points, not args.no_progress,
                        save, args.resume)
        with open(out / "convergence.csv", "w", newline="") as f:
            writer = csv.DictWriter(f, FIELDS)
            writer.writeheader()
            writer.writerows(rows)
        plot(rows, out / "convergence.png")
    print(f"wrote {out / 'convergence.csv'} and {out / 'convergence.png'}")


if __name__ == "__main__":
    main()
