"""Throughput of the graph VAE at the paper's model size (hidden 501, nz 56, bidirectional).

Prints training graphs/s at batch 32, encoding graphs/s and decoding graphs/s (argmax and
stochastic) on the CPU and, when present, on CUDA. Runs unchanged on a GPU machine:

    python benchmarks/bench_vae.py                 # every available device
    python benchmarks/bench_vae.py --device cpu --train-batches 20

Reference implementation (D-VAE code, same settings): H100 0.46 s per training batch of 32
(69 graphs/s), encode 660/s, decode 390/s; one CPU thread 0.75 s per batch (43 graphs/s),
encode 600/s, decode 240/s.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from naslib_oe.models import GraphVAE, VAEConfig
from naslib_oe.spaces import EnasSpace

ENAS_TRAIN_GRAPHS = 17118


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _rate(fn, n_items: int, device: torch.device, repeats: int) -> float:
    fn()  # warm-up
    _sync(device)
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    _sync(device)
    return n_items * repeats / (time.perf_counter() - start)


def bench(device: torch.device, train_batches: int, decode_n: int, encode_n: int) -> dict[str, float]:
    space = EnasSpace()
    torch.manual_seed(0)
    model = GraphVAE(space, VAEConfig()).to(device)
    dags = space.sample_many(max(encode_n, 32 * train_batches), np.random.default_rng(0))
    data = space.collate(dags).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    gen = torch.Generator(device=device).manual_seed(0)
    step = iter(range(10**9))

    def train_step():
        i = next(step) % train_batches
        terms = model.loss(data[i * 32:(i + 1) * 32], gen)
        opt.zero_grad()
        terms.total.backward()
        opt.step()

    train = _rate(train_step, 32, device, train_batches)
    model.eval()
    z = torch.randn(decode_n, model.config.latent, device=device)
    with torch.no_grad():
        encode = _rate(lambda: model.encode(data[:encode_n]), encode_n, device, 3)
        argmax = _rate(lambda: model.decode(z), decode_n, device, 2)
        stochastic = _rate(lambda: model.decode(z, stochastic=True, generator=gen), decode_n, device, 2)
    return {"train": train, "epoch_s": ENAS_TRAIN_GRAPHS / train, "encode": encode, "decode_argmax": argmax,
            "decode_stochastic": stochastic}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", action="append", help="cpu / cuda (default: every available)")
    parser.add_argument("--train-batches", type=int, default=20)
    parser.add_argument("--decode-n", type=int, default=2000)
    parser.add_argument("--encode-n", type=int, default=4000)
    args = parser.parse_args()
    devices = args.device or (["cpu"] + (["cuda"] if torch.cuda.is_available() else []))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads")
    print(f"{'device':<8} {'train g/s':>10} {'epoch s':>8} {'encode g/s':>11} {'decode argmax':>14} {'decode stoch':>13}")
    for name in devices:
        device = torch.device(name)
        label = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
        r = bench(device, args.train_batches, args.decode_n, args.encode_n)
        print(f"{name:<8} {r['train']:>10.0f} {r['epoch_s']:>8.1f} {r['encode']:>11.0f} "
              f"{r['decode_argmax']:>14.0f} {r['decode_stochastic']:>13.0f}   ({label})")


if __name__ == "__main__":
    main()
