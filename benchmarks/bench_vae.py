"""Throughput of the graph VAE at the paper's model size (hidden 501, nz 56, bidirectional).

Prints training graphs/s at batch 32 (and the implied seconds per ENAS epoch of 17,118
graphs), encoding graphs/s and decoding graphs/s (argmax and stochastic) on the CPU and,
when present, on CUDA. Runs unchanged on a GPU machine:

    python benchmarks/bench_vae.py                     # every available device
    python benchmarks/bench_vae.py --device cpu --train-batches 20
    python benchmarks/bench_vae.py --device cuda --compile --amp
    python benchmarks/bench_vae.py --encoder dagnn     # one encoder (default: dvae and dagnn)

It also prints the work per graph (matrix-product FLOPs, counted by PyTorch) and, on the
CPU, the rate of a plain matrix product measured just before: shared CPUs drift, and
the ratio of the two says how close the model runs to the machine's own limit.

Reference implementation (D-VAE code, same settings): H100 0.46 s per training batch of 32
(69 graphs/s), encode 660/s, decode 390/s; one CPU thread 0.75 s per batch (43 graphs/s),
encode 600/s, decode 240/s.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

from naslib_oe.models import ENCODERS, GraphVAE, VAEConfig
from naslib_oe.spaces import EnasSpace
from naslib_oe.training import TrainConfig, TrainStep

ENAS_TRAIN_GRAPHS = 17118
BATCH = 32


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _rate(fn, n_items: int, device: torch.device, repeats: int, warmup: int = 1) -> float:
    for _ in range(warmup):
        fn()
    _sync(device)
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    _sync(device)
    return n_items * repeats / (time.perf_counter() - start)


def matmul_gflops(device: torch.device) -> float:
    """Rate of a [224, 501] x [501, 2004] product, the size of the model's batched products."""
    a, b = torch.randn(224, 501, device=device), torch.randn(501, 2004, device=device)
    return _rate(lambda: a @ b, 2 * 224 * 501 * 2004, device, 200, warmup=10) / 1e9


def flops_per_graph(fn, n_graphs: int) -> float:
    with FlopCounterMode(display=False) as counter:
        fn()
    return counter.get_total_flops() / n_graphs


def bench(device: torch.device, train_batches: int, decode_n: int, encode_n: int,
          compile: bool = False, amp: bool = False, encoder: str = "dvae") -> dict[str, float]:
    space = EnasSpace()
    torch.manual_seed(0)
    model = GraphVAE(space, VAEConfig(encoder=encoder)).to(device)
    dags = space.sample_many(max(encode_n, BATCH * train_batches), np.random.default_rng(0))
    data = space.collate(dags).to(device)
    train_step = TrainStep(model, TrainConfig(compile=compile, amp=amp), device)
    gen = torch.Generator(device=device).manual_seed(0)
    step = iter(range(10**9))

    def one_step():
        i = next(step) % train_batches
        train_step(data[i * BATCH:(i + 1) * BATCH], gen)

    train_flops = flops_per_graph(lambda: model.loss(data[:BATCH], gen).total.backward(), BATCH)
    # compiled CUDA graphs are recorded over the first calls: warm up past them
    train = _rate(one_step, BATCH, device, train_batches, warmup=5 if compile else 1)
    model.eval()
    z = torch.randn(decode_n, model.config.latent, device=device)
    with torch.no_grad():
        decode_flops = flops_per_graph(lambda: model.decode(z[:256]), 256)
        encode = _rate(lambda: model.encode(data[:encode_n]), encode_n, device, 3)
        argmax = _rate(lambda: model.decode(z), decode_n, device, 2)
        stochastic = _rate(lambda: model.decode(z, stochastic=True, generator=gen), decode_n, device, 2)
    return {"train": train, "epoch_s": ENAS_TRAIN_GRAPHS / train, "encode": encode, "decode_argmax": argmax,
            "decode_stochastic": stochastic, "train_mflop": train_flops / 1e6, "decode_mflop": decode_flops / 1e6}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", action="append", help="cpu / cuda (default: every available)")
    parser.add_argument("--train-batches", type=int, default=20)
    parser.add_argument("--decode-n", type=int, default=2000)
    parser.add_argument("--encode-n", type=int, default=4000)
    parser.add_argument("--compile", action="store_true", help="torch.compile the training step (CUDA only)")
    parser.add_argument("--amp", action="store_true", help="bf16 autocast in training (CUDA only)")
    parser.add_argument("--encoder", action="append", choices=sorted(ENCODERS),
                        help="encoders to time, each with the same decoder (default: dvae and dagnn)")
    args = parser.parse_args()
    encoders = args.encoder or ["dvae", "dagnn"]
    devices = args.device or (["cpu"] + (["cuda"] if torch.cuda.is_available() else []))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads")
    print(f"{'device':<8} {'encoder':<8} {'train g/s':>10} {'epoch s':>8} {'encode g/s':>11} {'decode argmax':>14} "
          f"{'decode stoch':>13} {'MFLOP/graph train, decode':>26}")
    for name in devices:
        device = torch.device(name)
        label = torch.cuda.get_device_name(device) if device.type == "cuda" else (
            f"cpu; a [224,501]x[501,2004] product runs at {matmul_gflops(device):.0f} GFLOP/s")
        flags = [f for f, on in (("compile", args.compile), ("amp", args.amp)) if on and device.type == "cuda"]
        for encoder in encoders:
            r = bench(device, args.train_batches, args.decode_n, args.encode_n, "compile" in flags, "amp" in flags,
                      encoder)
            print(f"{name:<8} {encoder:<8} {r['train']:>10.0f} {r['epoch_s']:>8.1f} {r['encode']:>11.0f} "
                  f"{r['decode_argmax']:>14.0f} {r['decode_stochastic']:>13.0f} "
                  f"{r['train_mflop']:>15.0f}, {r['decode_mflop']:.0f}   ({label}{'; ' + ', '.join(flags) if flags else ''})")


if __name__ == "__main__":
    main()
