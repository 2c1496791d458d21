"""Wall time of latent BO rounds, on the CPU and, when present, on CUDA.

Two rounds are timed, each phase apart, with a paper-size VAE (hidden 501, nz 56):

* ENAS, D-VAE's protocol: a sparse GP (500 inducing points) on a 17,118-architecture prior,
  joint qLogEI for 50 points in the latent box, and 100 stochastic decodes per point;
* NB201, the harness's setting: an exact GP on 150 queried cells and pool selection of 10
  from all 15,625 cells.

    python benchmarks/bench_bo.py                  # every available device
    python benchmarks/bench_bo.py --device cpu
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from bench_vae import _sync  # noqa: E402  (same folder; run as a script)

from naslib_oe.bo import GPSettings, decode_most_frequent, fit_gp, optimize_batch, select_from_pool
from naslib_oe.models import GraphVAE, VAEConfig
from naslib_oe.spaces import EnasSpace, NB201Space

ENAS_PRIOR = 17118


def _timed(fn, device: torch.device):
    _sync(device)
    start = time.perf_counter()
    out = fn()
    _sync(device)
    return out, time.perf_counter() - start


def _targets(z: torch.Tensor) -> torch.Tensor:
    """A smooth stand-in for accuracy, so the GP has structure to fit."""
    return 70 + torch.sin(z[:, 0]) + 0.5 * torch.cos(z[:, 1] * z[:, 2])


def bench(device: torch.device) -> dict[str, float]:
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    out: dict[str, float] = {}
    enas = GraphVAE(EnasSpace(), VAEConfig()).to(device).eval()
    prior = enas.space.sample_many(ENAS_PRIOR, rng)
    z, out["embed_prior"] = _timed(lambda: enas.embed(prior).double(), device)
    y = _targets(z)
    gp, out["sparse_fit"] = _timed(lambda: fit_gp(z, y, GPSettings(kind="sparse")), device)
    bounds = torch.stack([z.min(0).values, z.max(0).values])
    points, out["qlogei_50"] = _timed(lambda: optimize_batch(gp, float(y.max()), bounds, q=50), device)
    gen = torch.Generator(device=device).manual_seed(0)
    _, out["decode_50x100"] = _timed(lambda: decode_most_frequent(enas, points, 100, gen), device)
    out["enas_round"] = out["sparse_fit"] + out["qlogei_50"] + out["decode_50x100"]

    nb201 = GraphVAE(NB201Space(), VAEConfig()).to(device).eval()
    pool_z = nb201.embed(nb201.space.all_architectures()).double()
    seen = torch.from_numpy(rng.choice(len(pool_z), 150, replace=False)).to(device)
    y = _targets(pool_z[seen])
    gp, out["exact_fit_150"] = _timed(lambda: fit_gp(pool_z[seen], y, GPSettings(kind="exact")), device)
    _, out["pool_select_10"] = _timed(lambda: select_from_pool(gp, float(y.max()), pool_z, q=10), device)
    out["nb201_round"] = out["exact_fit_150"] + out["pool_select_10"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", action="append", help="cpu / cuda (default: every available)")
    args = parser.parse_args()
    devices = args.device or (["cpu"] + (["cuda"] if torch.cuda.is_available() else []))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads; seconds per phase")
    for name in devices:
        device = torch.device(name)
        label = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
        r = bench(device)
        print(f"{name} ({label})")
        for key, seconds in r.items():
            print(f"  {key:<16} {seconds:8.2f} s")


if __name__ == "__main__":
    main()
