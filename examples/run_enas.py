"""The paper's ENAS pipeline, end to end.

1. Train DVAE-EMB on D-VAE's ENAS training split (or load ``--checkpoint``).
2. Print the D-VAE-protocol VAE metrics and the GP predictive metrics.
3. Run latent BO (decode mode; decoded architectures outside the table are scored by the
   tree-ensemble surrogate and flagged), next to uniform random sampling with the same
   budget and evaluator.
4. Write ``summary.md`` (best accuracy by round, BO vs random), ``results.json``,
   ``trajectory.jsonl`` and PNG drawings of the three best architectures.

Settings:
  (default)  a reduced run that finishes in about 10 minutes on 2 CPU cores: 1 training
             epoch, a lighter evaluation protocol, 2 BO rounds of 25. Its numbers are those
             of an under-trained model, and the summary says so.
  --paper    the paper's settings: 300 epochs, the full protocol, 10 rounds of 50.
  --smoke    a tiny model on 2,000 graphs, for CI (about a minute).
Any config key can still be changed with ``--set key.path=value``.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from naslib_oe import pipeline
from naslib_oe.analysis import save_dags_png
from naslib_oe.benchmarks.evaluators import EvalResult, Evaluator

CONFIG = Path(__file__).resolve().parent.parent / "configs" / "enas.yaml"

MODES = {
    "paper": [],
    "default": [
        "search.oe_dvae.train.epochs=1",
        "search.oe_dvae.eval={encode_times: 2, decode_times: 2, n_points: 200}",
        "search.oe_dvae.predictive_seeds=2",
        "search.oe_dvae.bo.budget=50", "search.oe_dvae.bo.batch_size=25", "search.oe_dvae.bo.decode_samples=50",
        "search.oe_dvae.bo.gp.steps=150",
    ],
    "smoke": [
        "search.oe_dvae.model={hidden: 64, latent: 16}",
        "search.oe_dvae.train={epochs: 1, lr: 3.0e-3}",
        "search.oe_dvae.eval={encode_times: 1, decode_times: 1, n_points: 50}",
        "search.oe_dvae.predictive_seeds=1",
        "search.oe_dvae.bo.budget=10", "search.oe_dvae.bo.batch_size=5", "search.oe_dvae.bo.decode_samples=10",
        "search.oe_dvae.bo.gp={steps: 20, num_inducing: 50}",
    ],
}
#: --smoke trains and builds the BO prior on this many training graphs only
SMOKE_TRAIN_GRAPHS = 2000


def random_baseline(s: pipeline.Setup, evaluator: Evaluator, budget: int, seed: int) -> list[EvalResult]:
    """Results of ``budget`` distinct uniform random architectures, in query order."""
    return [evaluator.query(d) for d in s.bench.space.sample_many(budget, np.random.default_rng(seed))]


def by_round(values: list[float], first_round: int, batch: int) -> list[float]:
    """Best-so-far after the first ``first_round`` queries, then after every ``batch`` more."""
    cuts = list(range(first_round, len(values), batch)) + [len(values)]
    return [max(values[:c]) for c in dict.fromkeys(c for c in cuts if c > 0)]


def summary_table(mode: str, bo_rounds: list[tuple[int, int, float]], random_values: list[float],
                  n_surrogate_bo: int, n_surrogate_random: int, batch: int) -> str:
    first = bo_rounds[0][1]
    rnd = by_round(random_values, first, batch)
    lines = [f"# ENAS: latent BO with DVAE-EMB vs random sampling ({mode} settings)", ""]
    if mode != "paper":
        lines += ["These numbers come from a reduced run (see `examples/run_enas.py --help`); "
                  "the model is under-trained, so they are not the paper's.", ""]
    lines += ["| round | queries | BO best val. acc. (%) | random best val. acc. (%) |", "|---|---|---|---|"]
    lines += [f"| {r} | {q} | {b:.2f} | {rv:.2f} |" for (r, q, b), rv in zip(bo_rounds, rnd)]
    lines += ["", f"Surrogate-scored queries (architectures outside the table): BO {n_surrogate_bo}, "
                  f"random {n_surrogate_random}."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--paper", action="store_true", help="the paper's full settings (GPU recommended)")
    mode.add_argument("--smoke", action="store_true", help="a tiny run for CI")
    parser.add_argument("--checkpoint", help="a trained ENAS GraphVAE (model.pt) to use instead of training")
    parser.add_argument("--out", help="output folder (default: runs/run_enas/<mode>)")
    parser.add_argument("--config", default=str(CONFIG), help="base config (default: configs/enas.yaml)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a config key")
    args = parser.parse_args(argv)
    name = "paper" if args.paper else "smoke" if args.smoke else "default"
    started = time.perf_counter()

    s = pipeline.setup(args.config, MODES[name] + args.set)
    if s.cfg["search_space"] != "enas":
        parser.error(f"{args.config} is a {s.cfg['search_space']} config; this example runs on ENAS")
    if name == "smoke":
        s.data.train, s.data.train_y = s.data.train[:SMOKE_TRAIN_GRAPHS], s.data.train_y[:SMOKE_TRAIN_GRAPHS]
    out = Path(args.out or Path(s.cfg["out_dir"]) / "run_enas" / name)
    out.mkdir(parents=True, exist_ok=True)

    print(f"== 1. DVAE-EMB ({name} settings)")
    if args.checkpoint:
        model = pipeline.load_vae(s, Path(args.checkpoint))
    else:
        model = pipeline.train(s, out / "vae")
    print("== 2. VAE and predictive metrics")
    metrics = pipeline.evaluate(s, model)
    print("== 3. latent BO")
    bo = s.settings.bo
    evaluator = pipeline.configured_evaluator(s)
    result, search = pipeline.search(s, model, out, evaluator_and_quality=evaluator)
    random_results = random_baseline(s, evaluator[0], len(result.records), s.cfg["seed"])
    random_values = [r.val_acc for r in random_results]
    n_sur_random = sum(r.surrogate for r in random_results)
    print("== 4. results")
    table = summary_table(name, result.best_by_round(), random_values, result.n_surrogate, n_sur_random,
                          bo.batch_size)
    (out / "summary.md").write_text(table)
    print(table)
    best = sorted(result.records, key=lambda r: -r.val_acc)[:3]
    pngs = []
    for rank, record in enumerate(best, start=1):
        flag = " (surrogate)" if record.surrogate else ""
        pngs.append(str(save_dags_png([s.bench.space.from_string(record.arch)], s.bench.space,
                                      [f"#{rank}: {record.val_acc:.2f} % validation accuracy{flag}"],
                                      out / f"best_{rank}.png")))
    results = {"mode": name, "metrics": metrics, "search": search, "random_best": max(random_values),
               "random_best_by_round": by_round(random_values, result.best_by_round()[0][1], bo.batch_size),
               "best_pngs": pngs, "wall_time_s": time.perf_counter() - started}
    (out / "results.json").write_text(json.dumps(results, indent=2, default=str))
    print(f"wrote {out}/summary.md, results.json, trajectory.jsonl and best_1..3.png "
          f"in {results['wall_time_s'] / 60:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
