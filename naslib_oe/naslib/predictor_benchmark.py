"""NASLib's predictor benchmark (``PredictorEvaluator``) with ``oe`` beside NASLib's predictors.

``naslib-oe naslib-predictors --config configs/nb201_predictors.yaml [KEY VALUE ...]``. NASLib's
own script (``naslib/runners/predictors/runner.py``) picks predictors from a literal table that
cannot be extended without editing it. This runner feeds NASLib's ``PredictorEvaluator``, unchanged,
one ``Ensemble(predictor_type=...)`` per name in ``predictors:``: our ``oe`` / ``oe_onehot``
(:mod:`~naslib_oe.naslib.predictor_types`) and NASLib's own types (``xgb``, ``gp``, ``lgb``,
``bananas``, ...), built by NASLib's ``Ensemble`` with the encodings it pairs them with.

Every predictor sees the same training and test architectures: NASLib's global generators are
reseeded from ``seed`` before each one. NASLib's evaluator prints every prediction; that goes
to ``evaluator.log`` in the output folder. Output: ``results.json`` (NASLib's records, one list
per predictor) and ``summary.md`` (Kendall tau, Spearman and fit time per training size).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from pathlib import Path
from typing import Any, Sequence

from naslib_oe.config import ConfigError, RunConfig, parse_config
from naslib_oe.naslib.runner import NASLibMissing, build_dataset_api, build_search_space, overrides_from_pairs, \
    require_naslib

#: PredictorEvaluator's keys, with NASLib's defaults where our file leaves them out
EVALUATOR_DEFAULTS: dict[str, Any] = {
    "experiment_type": "vary_train_size", "uniform_random": 1, "test_size": 200, "train_size_single": 100,
    "train_size_list": [10, 20, 50, 100, 200, 500], "fidelity_single": 5, "fidelity_list": [5],
    "max_hpo_time": 0, "num_ensemble": 3,
}
#: what summary.md shows per training size
SUMMARY_METRICS = ("kendalltau", "spearman", "fit_time")


def evaluator_config(run: RunConfig, predictor: str):
    """Our parsed config -> the yacs node NASLib's ``PredictorEvaluator`` reads."""
    from yacs.config import CfgNode

    node = CfgNode({**EVALUATOR_DEFAULTS, **run.raw, "predictor": predictor}, new_allowed=True)
    node.save = str(run.out_dir / predictor)
    return node


def evaluate_predictor(run: RunConfig, predictor: str, log: Any) -> list[dict[str, Any]]:
    """One predictor through NASLib's ``PredictorEvaluator``: its records, one per training size."""
    from naslib.defaults.predictor_evaluator import PredictorEvaluator
    from naslib.predictors.ensemble import Ensemble
    from naslib.utils import set_seed

    node = evaluator_config(run, predictor)
    space = build_search_space(run)
    ensemble = Ensemble(predictor_type=predictor, num_ensemble=node.num_ensemble, ss_type=space.get_type(),
                        config=node)
    set_seed(run.seed)  # the same architectures for every predictor
    evaluator = PredictorEvaluator(ensemble, config=node)
    evaluator.adapt_search_space(space, load_labeled=False, dataset_api=build_dataset_api(run))
    with contextlib.redirect_stdout(log):
        evaluator.evaluate()
    return [{k: v for k, v in r.items() if not k.startswith("full_")} for r in evaluator.results[1:]]


def summary_table(results: dict[str, list[dict[str, Any]]]) -> str:
    """Markdown: one row per predictor, Kendall tau / Spearman / fit seconds per training size."""
    sizes = sorted({r["train_size"] for records in results.values() for r in records})
    lines = [f"| predictor | {' | '.join(f'n = {n}' for n in sizes)} |", "|---|" + "---|" * len(sizes)]
    for name, records in results.items():
        by_size = {r["train_size"]: r for r in records}
        cells = [" / ".join(f"{by_size[n][m]:.3f}" if m != "fit_time" else f"{by_size[n][m]:.1f} s"
                            for m in SUMMARY_METRICS) if n in by_size else "-" for n in sizes]
        lines.append(f"| {name} | {' | '.join(cells)} |")
    return "\n".join(lines)


def run(config: str | Path, overrides: Sequence[str] = ()) -> dict[str, list[dict[str, Any]]]:
    """Evaluate every predictor of ``predictors:``; writes results.json and summary.md."""
    require_naslib()
    from naslib_oe.naslib.predictor_types import register

    register()
    run_config = parse_config(config, overrides)
    cfg = run_config.raw
    names = cfg.get("predictors")
    if not names or not isinstance(names, list):
        raise ConfigError(f"{config}: `predictors:` must list predictor types, e.g. [oe, xgb, gp]")
    out = run_config.out_dir
    out.mkdir(parents=True, exist_ok=True)
    results: dict[str, list[dict[str, Any]]] = {}
    with open(out / "evaluator.log", "w") as log:
        for name in names:
            start = time.perf_counter()
            print(f"{name}: NASLib's PredictorEvaluator, train sizes {cfg.get('train_size_list')} ...", flush=True)
            results[name] = evaluate_predictor(run_config, name, log)
            print(f"{name}: done in {time.perf_counter() - start:.0f} s", flush=True)
            (out / "results.json").write_text(json.dumps(results, indent=1, default=float))
    table = summary_table(results)
    (out / "summary.md").write_text(f"# NASLib predictor benchmark: {cfg['search_space']} {cfg['dataset']}\n\n"
                                    f"Kendall tau / Spearman / fit time; test set {cfg.get('test_size', 200)} "
                                    f"architectures, seed {cfg['seed']}.\n\n{table}\n")
    print(table)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="naslib-oe naslib-predictors",
                                     description="NASLib's PredictorEvaluator with oe beside NASLib's predictors")
    parser.add_argument("--config", required=True, help="YAML config (see configs/nb201_predictors.yaml)")
    parser.add_argument("opts", nargs=argparse.REMAINDER, help="overrides: KEY VALUE pairs or key=value")
    args = parser.parse_args(argv)
    try:
        run(args.config, overrides_from_pairs(args.opts))
    except (NASLibMissing, ConfigError) as err:
        print(f"naslib-predictors: {err}", file=sys.stderr)
        return 2
    return 0
