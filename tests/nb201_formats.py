"""Writers of small files in NB201's native formats, for testing our readers."""
from __future__ import annotations

import pickle
from pathlib import Path

import torch

NATIVE = {"cifar10": "cifar10-valid", "cifar100": "cifar100", "ImageNet16-120": "ImageNet16-120"}


def write_naslib_pickle(path: Path, cells: dict[str, dict[str, float]], epochs: int = 200) -> Path:
    """NASLib's ``nb201_<ds>_full_training.pickle``: ``{arch_str: {dataset: results}}``.

    ``cells[arch_str][ds]`` is the final eval accuracy; the curve rises linearly to it.
    """
    data = {}
    for arch, per_ds in cells.items():
        data[arch] = {
            NATIVE[ds]: {
                "eval_acc1es": [acc * (e + 1) / epochs for e in range(epochs)],
                "eval_losses": [1.0] * epochs, "train_acc1es": [acc] * epochs, "train_losses": [1.0] * epochs,
                "cost_info": {"flops": 10.0, "params": 0.5, "latency": 0.01, "train_time": 123.0},
            }
            for ds, acc in per_ds.items()
        }
    path.write_bytes(pickle.dumps(data))
    return path


def write_api_file(path: Path, cells: list[tuple[str, dict[str, tuple[float, float]]]]) -> Path:
    """A ``.pth`` file of the official ``nas_201_api`` format, built with its own classes.

    ``cells[i] = (arch_str, {dataset: (valid_acc, test_acc)})``; two seeds whose accuracies
    are the given value -/+ 1, so the seed mean is the given value.
    """
    from nas_201_api.api_utils import ArchResults, ResultsCount

    eval_sets = {
        "cifar10-valid": {"x-valid": 0, "ori-test": 1},
        "cifar10": {"ori-test": 1},
        "cifar100": {"x-valid": 0, "x-test": 1, "ori-test": 1},
        "ImageNet16-120": {"x-valid": 0, "x-test": 1, "ori-test": 1},
    }
    arch2infos = {}
    for index, (arch, per_ds) in enumerate(cells):
        by_hp = {}
        for hp, epochs in (("less", 12), ("full", 200)):
            result = ArchResults(index, arch)
            for ds, (valid, test) in per_ds.items():
                for native in ({"cifar10-valid", "cifar10"} if ds == "cifar10" else {ds}):
                    for seed, delta in ((777, -1.0), (888, 1.0)):
                        rc = ResultsCount(native, None, {e: 50.0 for e in range(epochs)}, {e: 1.0 for e in range(epochs)},
                                          1.0, 2.0, {"arch_str": arch}, seed, epochs, None)
                        accs, losses, times = {}, {}, {}
                        for name, which in eval_sets[native].items():
                            value = (valid, test)[which] + delta - (1.0 if hp == "less" else 0.0)
                            for e in range(epochs):
                                accs[f"{name}@{e}"], losses[f"{name}@{e}"], times[f"{name}@{e}"] = value, 1.0, 0.1
                        rc.update_eval(accs, losses, times)
                        result.update(native, seed, rc)
            by_hp[hp] = result.state_dict()
        arch2infos[index] = by_hp
    torch.save({"meta_archs": [a for a, _ in cells], "arch2infos": arch2infos,
                "evaluated_indexes": list(range(len(cells))), "total_archs": len(cells)}, path)
    return path
