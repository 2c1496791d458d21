"""``naslib-oe <verb>``: argument parsing only; the work happens in the library."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Sequence

from naslib_oe import INTERRUPTED
from naslib_oe.errors import ConfigError, NaslibOEError, RunFolderError
from naslib_oe.utils import writable_dir, writable_file


def _cmd_data(args: argparse.Namespace) -> int:
    """Exit 1 when a file the shipped configs read is missing or corrupt (each default config
    reads one of them), naming the folders looked in and how to point elsewhere."""
    import os

    from naslib_oe.benchmarks.data import ENV_DATA, cache_dir, data_status
    from naslib_oe.benchmarks import data_notes

    rows = data_status()
    print(f"{'file':<28} {'checksum':<9} {'source':<24} path")
    for r in rows:
        print(f"{r.relpath:<28} {r.checksum:<9} {r.source:<24} {r.path or '-'}")
    folder = os.environ.get(ENV_DATA)
    where = f"${ENV_DATA}={folder}" if folder else f"${ENV_DATA} (not set)"
    print(f"\nlooked in: {where}, then the cache {cache_dir()}")
    problems = []
    if folder and not Path(folder).expanduser().is_dir():
        problems.append(f"${ENV_DATA} points to {folder}, which does not exist")
    problems += [f"{r.relpath} is missing" for r in rows if not r.path]
    problems += [f"{r.relpath} does not match its checksum: {r.path}" for r in rows if r.checksum == "MISMATCH"]
    notes = data_notes()
    if notes:
        print("\nabout the data:\n" + "\n".join(f"  {note}" for note in notes))
    for line in problems:
        print(line, file=sys.stderr)
    if problems:
        print(f"set ${ENV_DATA} to the folder that holds the files above (e.g. export {ENV_DATA}=../shared/data)",
              file=sys.stderr)
    return 1 if problems else 0


def _cmd_doctor(args: argparse.Namespace) -> int:
    from naslib_oe.doctor import FAIL, diagnose, report

    findings = diagnose()
    print(report(findings))
    return 1 if any(f.status == FAIL for f in findings) else 0


def _cmd_train(args: argparse.Namespace) -> int:
    from naslib_oe import pipeline
    from naslib_oe.training import FINAL_MODEL

    s = pipeline.setup(args.config, args.set)
    out = writable_dir(args.out if args.out else s.run.vae_dir)
    pipeline.train(s, out, resume=args.resume)
    print(f"saved {out / FINAL_MODEL}")
    if s.settings.checkpoint:  # the other verbs would read the config's model, not this one
        print(f"this config's search.oe_dvae.checkpoint is {s.settings.checkpoint}: pass --checkpoint "
              f"{out / FINAL_MODEL} (or --set search.oe_dvae.checkpoint=...) to use the model trained here")
    return 0


def _setup_with_model(args: argparse.Namespace):
    """Config, checkpoint path (``--checkpoint`` or the config's) and the loaded VAE."""
    from naslib_oe import pipeline

    s = pipeline.setup(args.config, args.set)
    if args.checkpoint:  # a file or zoo:<name>, as if it were the config's checkpoint
        s.run = s.run.with_checkpoint(args.checkpoint)
    return s, s.model_path, pipeline.load_vae(s)


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from naslib_oe import pipeline

    s, ckpt, model = _setup_with_model(args)
    out = writable_file(args.out if args.out else s.output_dir / "metrics.json")  # before minutes of metrics
    metrics = pipeline.evaluate(s, model, predictive=not args.no_predictive)
    out.write_text(json.dumps({"checkpoint": str(ckpt), **metrics}, indent=2))
    print(f"wrote {out}")
    return 0


def _cmd_search(args: argparse.Namespace) -> int:
    from naslib_oe import pipeline

    s, ckpt, model = _setup_with_model(args)
    out = writable_dir(args.out if args.out else s.output_dir / f"search_seed{s.run.seed}")
    pipeline.search(s, model, out, resume=args.resume)
    print(f"wrote {out / 'trajectory.jsonl'} and {out / 'search.json'}")
    return 0


def _cmd_compare(args: argparse.Namespace) -> int:
    import naslib_oe.naslib  # noqa: F401  (registers NASLib's naslib-* optimizers; NASLib itself is optional)
    from naslib_oe.config import parse_config
    from naslib_oe.harness import compare, plot_run
    from naslib_oe.harness.trajectory import trial_paths

    run = parse_config(args.config, args.set)
    out = Path(args.out) if args.out else run.out_dir / "compare" / f"{run.space}_{run.dataset}_b{args.budget}"
    optimizers = [o.strip() for o in args.optimizers.split(",") if o.strip()]
    result = compare(run, optimizers, args.seeds, args.budget, out, workers=args.workers, backend=args.backend,
                     ray_address=args.ray_address, resume=args.resume)
    try:
        _print_aggregates(plot_run(out))  # the finished trials, whatever failed beside them
    except RunFolderError as err:
        if not result.failed:
            raise
        print(f"nothing aggregated: {err}", file=sys.stderr)
    for outcome in result.failed:  # last, so that the final lines say why the run failed
        error_file = trial_paths(out, outcome.optimizer, outcome.seed)[0].with_suffix(".error")
        print(f"trial {outcome.optimizer} seed {outcome.seed} failed: {outcome.message} (traceback: {error_file})",
              file=sys.stderr)
    return 1 if result.failed else 0


def _print_aggregates(files: dict[str, Path]) -> None:
    print(files["markdown"].read_text())
    print(f"wrote {files['csv']}, {files['markdown']} and {files['png']}")


def _cmd_plot(args: argparse.Namespace) -> int:
    from naslib_oe.harness import plot_run

    _print_aggregates(plot_run(args.run_dir))
    return 0


def _cmd_analyze(args: argparse.Namespace) -> int:
    from naslib_oe.analysis.report import analyze

    report = analyze(args.config, args.checkpoint, args.out, args.run, args.set, n_points=args.points)
    print(f"wrote {report} and its figures")
    return 0


def _positive_int(text: str) -> int:
    """argparse type: a whole number >= 1 (checked before any work starts)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _seed_list(text: str) -> list[int]:
    """argparse type: ``N`` (seeds 0..N-1), a range ``A-B`` (both included) or a list ``3,5,8``."""
    text = text.strip()
    try:
        if "," in text:
            seeds = [int(part) for part in text.split(",") if part.strip()]
        elif "-" in text.lstrip("-"):
            first, last = (int(part) for part in text.split("-", 1))
            seeds = list(range(first, last + 1))
        else:
            seeds = list(range(_positive_int(text)))
    except ValueError:
        raise argparse.ArgumentTypeError(f"seeds must be N, A-B or a comma-separated list, not {text!r}") from None
    if not seeds or min(seeds) < 0 or len(set(seeds)) != len(seeds):
        raise argparse.ArgumentTypeError(f"seeds must be distinct whole numbers >= 0, got {text!r}")
    return seeds


def _positive_ints(text: str) -> list[int]:
    """argparse type: comma-separated training-set sizes, each >= 2 (a GP needs two points)."""
    sizes = [_positive_int(part) for part in text.split(",") if part.strip()]
    if not sizes or min(sizes) < 2:
        raise argparse.ArgumentTypeError(f"training sizes must be whole numbers >= 2, got {text!r}")
    return sizes


def _cmd_predictors(args: argparse.Namespace) -> int:
    from naslib_oe import pipeline

    s = pipeline.setup(args.config, args.set)
    names = [n.strip() for n in args.predictors.split(",") if n.strip()]
    sizes = args.train_sizes
    out = writable_dir(args.out or s.run.out_dir / "predictors" / f"{s.bench.space.name}_{s.run.dataset}")
    pipeline.predictor_comparison(s, names, sizes, args.seeds, out, test_size=args.test_size, head=args.head,
                                  checkpoints={"oe": args.checkpoint, "dvae": args.onehot_checkpoint})
    return 0


def _cmd_zoo(args: argparse.Namespace) -> int:
    from naslib_oe.zoo_publish import publish, zoo_table

    if args.publish:
        from naslib_oe import pipeline

        if not (args.config and args.train_dir):
            raise ConfigError("--publish needs --config and --train-dir")
        s = pipeline.setup(args.config, args.set)
        command = args.command or "(not recorded)"
        card = publish(s, args.publish, Path(args.train_dir), command, dtype=args.dtype)
        print(f"published zoo:{card['name']} ({card['size_mb']} MB, sha256 {card['sha256'][:12]}...)")
    print(zoo_table())
    return 0


def _add_config_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", required=True, help="NASLib-style YAML config (see configs/)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config key, e.g. --set search.oe_dvae.train.epochs=5 (repeatable)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="naslib-oe",
        description="Graph-based NAS with operation embeddings: VAE training, evaluation and latent BO.",
    )
    sub = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    p = sub.add_parser("data", help="list the benchmark files found, where, and whether their checksums match")
    p.set_defaults(func=_cmd_data)

    p = sub.add_parser("doctor", help="check the data, the zoo, torchvision, NASLib and the GPU; say what to do")
    p.set_defaults(func=_cmd_doctor)

    p = sub.add_parser("train", help="fit the graph VAE and save a checkpoint")
    _add_config_args(p)
    p.add_argument("--resume", action="store_true", help="continue from the run's last checkpoint")
    p.add_argument("--out", help="output folder (default: {out_dir}/{space}/vae_{embedding}_{encoder})")
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser("evaluate", help="D-VAE protocol metrics of a trained VAE")
    _add_config_args(p)
    p.add_argument("--checkpoint", help="model file or zoo:<name> to evaluate (default: the config's run folder)")
    p.add_argument("--out", help="metrics JSON path (default: beside the checkpoint)")
    p.add_argument("--no-predictive", action="store_true", help="skip the GP predictive metrics")
    p.set_defaults(func=_cmd_evaluate)

    p = sub.add_parser("search", help="latent BO with a trained VAE; logs every query")
    _add_config_args(p)
    p.add_argument("--checkpoint", help="model file or zoo:<name> to search with (default: the config's checkpoint, "
                                        "else its run folder's model)")
    p.add_argument("--out", help="output folder (default: beside the checkpoint, search_seed{seed})")
    p.add_argument("--resume", action="store_true", help="continue a stopped search from its trajectory.jsonl")
    p.set_defaults(func=_cmd_search)

    p = sub.add_parser("compare", help="optimizers x seeds on one benchmark and budget; logs, aggregates, plot")
    _add_config_args(p)
    p.add_argument("--optimizers", default="oe_dvae,rs,re,ls", help="comma-separated (default: oe_dvae,rs,re,ls); with NASLib installed also "
                        "naslib-rs, naslib-re, naslib-ls, naslib-bananas, naslib-npenas")
    p.add_argument("--seeds", type=_seed_list, default=list(range(10)),
                   help="N for seeds 0..N-1 (default 10), a range A-B such as 100-109, or a list 3,5,8")
    p.add_argument("--budget", type=_positive_int, default=150, help="queries per trial (default 150)")
    p.add_argument("--workers", type=_positive_int, default=1, help="parallel trials in a local process pool")
    p.add_argument("--backend", choices=["process", "ray"], default="process")
    p.add_argument("--ray-address", help="an existing Ray cluster (default: start a local Ray)")
    p.add_argument("--resume", action="store_true", help="skip finished trials, continue half-done ones")
    p.add_argument("--out", help="run folder (default: {out_dir}/compare/{space}_{dataset}_b{budget})")
    p.set_defaults(func=_cmd_compare)

    p = sub.add_parser("analyze", help="latent maps, embeddings, graph properties, interpolation: figures + report.md")
    _add_config_args(p)
    p.add_argument("--checkpoint", action="append", required=True,
                   help="model file or zoo:<name>; give two (e.g. D-VAE and DVAE-EMB) to compare them side by side")
    p.add_argument("--out", required=True, help="folder for the figures and report.md")
    p.add_argument("--run", help="a search or compare run folder: draw its best architectures")
    p.add_argument("--points", type=_positive_int, default=2000, help="table architectures in the latent maps (default 2000)")
    p.set_defaults(func=_cmd_analyze)

    p = sub.add_parser("predictors", help="performance predictors x training sizes x seeds on one fixed test set")
    _add_config_args(p)
    p.add_argument("--predictors", default="oe,dvae,adj_gp,adj_gbt",
                   help="comma-separated: oe (learned embeddings), dvae (one-hot), adj_gp, adj_gbt; with NASLib "
                        "also naslib-gcn, naslib-bonas, naslib-xgb, naslib-mlp, naslib-gp")
    p.add_argument("--train-sizes", type=_positive_ints, default="10,20,50,100,200,500",
                   help="comma-separated training-set sizes, each >= 2")
    p.add_argument("--seeds", type=_positive_int, default=10, help="training sets per size (default 10)")
    p.add_argument("--test-size", type=_positive_int, default=1000, help="fixed test architectures (default 1000)")
    p.add_argument("--head", choices=["gp", "mlp"], default="gp", help="head on the VAE latents (default gp)")
    p.add_argument("--checkpoint", help="trained learned-embedding VAE for oe (default: train one, no labels)")
    p.add_argument("--onehot-checkpoint", help="trained one-hot VAE for dvae (default: train one, no labels)")
    p.add_argument("--out", help="output folder (default: {out_dir}/predictors/{space}_{dataset})")
    p.set_defaults(func=_cmd_predictors)

    # listed for --help only: main() hands its arguments to naslib_oe.naslib.runner untouched
    sub.add_parser("naslib-run", help="NASLib's Trainer with oe_dvae registered (needs NASLib): --config F [KEY VALUE ...]")
    sub.add_parser("naslib-predictors", help="NASLib's predictor benchmark with oe beside its predictors (needs "
                                             "NASLib): --config F [KEY VALUE ...]")

    p = sub.add_parser("zoo", help="list the shipped trained models (zoo:<name>) with their headline metrics")
    p.add_argument("--publish", metavar="NAME", help="maintainers: store --train-dir's model as zoo model NAME, "
                                                    "evaluate the stored weights and write its card")
    p.add_argument("--config", help="with --publish: the config it was trained with")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="with --publish: overrides")
    p.add_argument("--train-dir", help="with --publish: the training run folder (model + train_state.pt)")
    p.add_argument("--command", help="with --publish: the exact training command, for the card")
    p.add_argument("--dtype", default="float16", help="with --publish: stored precision (default float16)")
    p.set_defaults(func=_cmd_zoo)

    p = sub.add_parser("plot", help="redraw a compare run's aggregates and plot from its logs")
    p.add_argument("run_dir")
    p.set_defaults(func=_cmd_plot)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["naslib-run"]:  # NASLib-style KEY VALUE overrides: the runner parses them
        from naslib_oe.naslib.runner import main as runner_main

        return runner_main(argv[1:])
    if argv[:1] == ["naslib-predictors"]:
        from naslib_oe.naslib.predictor_benchmark import main as predictors_main

        return predictors_main(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except NaslibOEError as err:  # deliberate errors only: anything else is a bug and keeps its traceback
        print(f"naslib-oe {args.verb}: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C: what was logged or checkpointed is kept, and the verbs that log resume
        print(f"naslib-oe {args.verb}: {INTERRUPTED}", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
