"""``naslib-oe analyze``: every analysis figure for one or two trained VAEs, and a report.

``report.md`` embeds the PNGs it lists (all written beside it) and gives their numbers.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from naslib_oe import pipeline
from naslib_oe.analysis.draw import save_dags_png
from naslib_oe.analysis.graph_properties import PROPERTIES, graph_properties, plot_properties, property_correlations
from naslib_oe.analysis.latent import interpolate, latent_map, plot_embeddings, plot_latent_maps, smoothness
from naslib_oe.benchmarks import Metric
from naslib_oe.errors import ConfigError, RunFolderError
from naslib_oe.utils import read_jsonl, writable_dir

#: the fewest table architectures a latent map and a nearest-neighbour smoothness are drawn from
MIN_POINTS = 10


def model_label(model) -> str:
    kind = "DVAE-EMB" if model.config.op_embedding == "learned" else "D-VAE"
    return f"{kind} ({model.config.encoder} encoder)"


def best_from_run(run_dir: Path, top: int = 3) -> list[dict]:
    """The ``top`` queries by validation accuracy over every trajectory log under ``run_dir``."""
    if not run_dir.is_dir():
        raise RunFolderError(f"--run {run_dir}: no such run folder")
    records = []
    for log in sorted(run_dir.rglob("*.jsonl")):
        records += [{**r, "log": str(log.relative_to(run_dir))} for r in read_jsonl(log) if "val_acc" in r]
    if not records:
        raise RunFolderError(f"{run_dir}: no trajectory logs (*.jsonl) to take the best architectures from")
    return sorted(records, key=lambda r: -r["val_acc"])[:top]


def analyze(config: str | Path, checkpoints: Sequence[str | Path], out: str | Path, run_dir: str | Path | None = None,
            overrides: Sequence[str] = (), n_points: int = 2000, seed: int = 0) -> Path:
    """Write the figures and ``report.md`` into ``out``; returns the report's path."""
    if n_points < MIN_POINTS:
        raise ConfigError(f"analyze: --points must be at least {MIN_POINTS} (a t-SNE map needs them), got {n_points}")
    s = pipeline.setup(config, list(overrides))
    out = writable_dir(out)
    top = best_from_run(Path(run_dir)) if run_dir is not None else None  # a bad --run fails before the work
    models = [pipeline.load_vae(s, c) for c in checkpoints]
    bench, space = s.bench, s.bench.space
    acc_all = bench.column(Metric.VAL_ACCURACY, s.run.dataset)
    known = np.flatnonzero(np.isfinite(acc_all))  # cells without a value cannot colour a map
    rows = np.random.default_rng(seed).choice(known, min(n_points, len(known)), replace=False)
    dags, acc = [bench.dags[i] for i in rows], acc_all[rows]
    lines = [f"# Analysis: {space.name} ({bench.name})", "",
             f"Checkpoints: {', '.join(f'`{c}`' for c in checkpoints)}. Accuracy: validation, in %.", ""]

    print("latent maps (t-SNE) ...")
    maps, smooth_rows = [], []
    for model in models:
        z = model.embed(dags).cpu()
        maps.append((model_label(model), latent_map(z.numpy(), seed), acc))
        sm = smoothness(z, acc, seed)
        smooth_rows.append(f"| {model_label(model)} | {sm.neighbour_diff:.3f} | {sm.random_diff:.3f} | {sm.ratio:.3f} |")
    plot_latent_maps(maps, out / "latent_tsne.png")
    lines += ["## Latent space", "", f"t-SNE of the posterior means of {len(dags)} random table architectures.", "",
              "![latent maps](latent_tsne.png)", "",
              "Smoothness: mean |accuracy difference| to the nearest latent neighbour, against random pairs "
              "(lower ratio = smoother).", "",
              "| model | nearest neighbour | random pair | ratio |", "|---|---|---|---|", *smooth_rows, ""]

    lines += ["## Operation embeddings", ""]
    for i, model in enumerate(models):
        name = f"embeddings_{i}.png"
        plot_embeddings(model, out / name)
        lines += [f"{model_label(model)}: {model.embedding.dim}-dimensional vectors.", "", f"![embeddings]({name})", ""]

    print("graph properties ...")
    props = graph_properties(bench.dags, progress=True)
    plot_properties(props, acc_all, out / "graph_properties.png", f"{space.name}: graph properties vs accuracy")
    corr = property_correlations(props, acc_all)
    lines += ["## Graph properties vs accuracy", "", f"Every architecture of the table ({len(bench)}), as an "
              "undirected graph.", "", "| property | Pearson r | p-value | n |", "|---|---|---|---|"]
    lines += [f"| {PROPERTIES[k]} | {c.r:.3f} | {c.p:.2g} | {c.n} |" if np.isfinite(c.r) else
              f"| {PROPERTIES[k]} | – (the same for every architecture) | – | {c.n} |" for k, c in corr.items()]
    if not any(np.isfinite(c.r) for c in corr.values()):
        lines += ["", f"Every {space.name} architecture has the same graph as an undirected graph (the operations "
                      "differ, not the wiring), so these properties cannot explain its accuracy."]
    lines += ["", "![graph properties](graph_properties.png)", ""]

    worst, best = dags[int(np.argmin(acc))], dags[int(np.argmax(acc))]
    path = interpolate(models[0], worst, best, steps=6)
    titles = [f"step {k}: " + (f"{bench.query(d, Metric.VAL_ACCURACY, s.run.dataset):.2f} %" if d in bench
                               else ("valid, not in the table" if space.is_valid(d) else "invalid"))
              for k, d in enumerate(path)]
    save_dags_png(path, space, titles, out / "interpolation.png",
                  suptitle=f"{model_label(models[0])}: from the worst to the best of the sample")
    lines += ["## Interpolation", "", f"Argmax decodes on the line from the worst ({acc.min():.2f} %) to the best "
              f"({acc.max():.2f} %) sampled architecture.", "", "![interpolation](interpolation.png)", ""]

    if top is not None:
        save_dags_png([space.from_string(r["arch"]) for r in top], space,
                      [f"{r['val_acc']:.2f} % val" + (" (surrogate)" if r.get("surrogate") else "") + f" — {r['log']}"
                       for r in top], out / "best_architectures.png", suptitle=f"best of {run_dir}")
        lines += ["## Best architectures found", "", f"From `{run_dir}`.", "", "![best](best_architectures.png)", ""]
    report = out / "report.md"
    report.write_text("\n".join(lines))
    return report
