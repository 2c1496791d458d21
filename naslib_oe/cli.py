"""``naslib-oe <verb>``: argument parsing only; the work happens in the library."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Sequence

import torch


def _cmd_data(args: argparse.Namespace) -> int:
    from naslib_oe.benchmarks.data import ENV_DATA, cache_dir, data_status

    rows = data_status()
    print(f"{'file':<28} {'checksum':<9} {'source':<24} path")
    for r in rows:
        print(f"{r.relpath:<28} {r.checksum:<9} {r.source:<24} {r.path or '-'}")
    print(f"\nlooked in: ${ENV_DATA} (set it to a folder of benchmark files), then the cache {cache_dir()}")
    return 1 if any(r.checksum == "MISMATCH" for r in rows) else 0


def _prepare(args: argparse.Namespace):
    """Config, settings, benchmark and VAE data shared by ``train`` and ``evaluate``."""
    from naslib_oe.benchmarks import load_benchmark
    from naslib_oe.config import load_config, oe_settings
    from naslib_oe.training import vae_data

    cfg = load_config(args.config, args.set)
    settings = oe_settings(cfg, source=str(args.config))
    bench = load_benchmark(cfg["search_space"], settings.data_path)
    return cfg, settings, bench, vae_data(bench, seed=0)


def _cmd_train(args: argparse.Namespace) -> int:
    from naslib_oe.config import run_dir
    from naslib_oe.models import GraphVAE
    from naslib_oe.training import FINAL_MODEL, train_vae

    cfg, settings, bench, data = _prepare(args)
    out = Path(args.out) if args.out else run_dir(cfg, settings)
    torch.manual_seed(settings.train.seed)
    model = GraphVAE(bench.space, settings.model)
    print(f"training {settings.model.op_embedding}-embedding {settings.model.encoder} VAE on "
          f"{len(data.train)} {bench.space.name} graphs for {settings.train.epochs} epochs -> {out}")
    train_vae(model, data.train, settings.train, out_dir=out, resume=args.resume)
    print(f"saved {out / FINAL_MODEL}")
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from naslib_oe.config import run_dir
    from naslib_oe.metrics import evaluate_vae
    from naslib_oe.models import GraphVAE
    from naslib_oe.training import FINAL_MODEL, resolve_device

    cfg, settings, bench, data = _prepare(args)
    ckpt = Path(args.checkpoint or settings.checkpoint or run_dir(cfg, settings) / FINAL_MODEL)
    if not ckpt.is_file():
        print(f"no trained model at {ckpt}: run `naslib-oe train --config {args.config}` first "
              f"or pass --checkpoint", file=sys.stderr)
        return 2
    model = GraphVAE.load(ckpt, bench.space, map_location=resolve_device(settings.train.device))
    metrics = evaluate_vae(model, data.train, data.test, seed=cfg["seed"], **settings.eval)
    print(metrics.table())
    out = Path(args.out) if args.out else ckpt.parent / "metrics.json"
    out.write_text(json.dumps({"checkpoint": str(ckpt), **metrics.as_dict()}, indent=2))
    print(f"wrote {out}")
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

    p = sub.add_parser("train", help="fit the graph VAE and save a checkpoint")
    _add_config_args(p)
    p.add_argument("--resume", action="store_true", help="continue from the run's last checkpoint")
    p.add_argument("--out", help="output folder (default: {out_dir}/{space}/vae_{embedding}_{encoder})")
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser("evaluate", help="D-VAE protocol metrics of a trained VAE")
    _add_config_args(p)
    p.add_argument("--checkpoint", help="model.pt to evaluate (default: the config's run folder)")
    p.add_argument("--out", help="metrics JSON path (default: beside the checkpoint)")
    p.set_defaults(func=_cmd_evaluate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from naslib_oe.benchmarks.data import DataError
    from naslib_oe.config import ConfigError

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ConfigError, DataError) as err:
        print(f"naslib-oe {args.verb}: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
