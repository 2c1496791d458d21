"""``naslib-oe <verb>``: argument parsing only; the work happens in the library."""
from __future__ import annotations

import argparse
import sys
from typing import Sequence


def _cmd_data(args: argparse.Namespace) -> int:
    from naslib_oe.benchmarks.data import ENV_DATA, cache_dir, data_status

    rows = data_status()
    print(f"{'file':<28} {'checksum':<9} {'source':<24} path")
    for r in rows:
        print(f"{r.relpath:<28} {r.checksum:<9} {r.source:<24} {r.path or '-'}")
    print(f"\nlooked in: ${ENV_DATA} (set it to a folder of benchmark files), then the cache {cache_dir()}")
    return 1 if any(r.checksum == "MISMATCH" for r in rows) else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="naslib-oe",
        description="Graph-based NAS with operation embeddings: VAE training, evaluation and latent BO.",
    )
    sub = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    p = sub.add_parser("data", help="list the benchmark files found, where, and whether their checksums match")
    p.set_defaults(func=_cmd_data)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
