"""Per-trial trajectory logs: one JSON line per query, appended and flushed as it happens.

A trial's log is ``trials/{optimizer}/seed{seed}.jsonl``; a ``.done`` file beside it marks a
finished trial. A line cut short by a killed process is dropped on reading (and reported).
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from naslib_oe.errors import RunFolderError
from naslib_oe.utils import read_jsonl


@dataclass
class TrajectoryRecord:
    query: int                    # 1-based
    arch: str                     # native string of the space
    val_acc: float
    test_acc: float | None
    best_val: float               # best validation accuracy so far
    incumbent_test: float | None  # test accuracy of the best-so-far architecture
    wall_time: float              # seconds since the trial started (across resumes)
    surrogate: bool
    cost: float


def trial_paths(run_dir: Path, optimizer: str, seed: int) -> tuple[Path, Path]:
    """``(log, done marker)`` of one trial."""
    log = Path(run_dir) / "trials" / optimizer / f"seed{seed}.jsonl"
    return log, log.with_suffix(".done")


def read_trajectory(path: Path, repair: bool = False) -> list[TrajectoryRecord]:
    """The complete records of a log. A final line cut short by a crash is dropped, and with
    ``repair`` removed from the file so that appending can continue."""
    if not path.is_file():
        return []
    records = []
    for i, row in enumerate(read_jsonl(path, repair), start=1):
        try:
            records.append(TrajectoryRecord(**row))
        except TypeError as err:
            raise RunFolderError(f"{path}:{i}: not a trajectory record ({err})") from None
    return records


class TrajectoryWriter:
    """Appends records to a log, flushing (and fsyncing) every line."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(path, "a", encoding="utf-8")

    def write(self, record: TrajectoryRecord) -> None:
        self._file.write(json.dumps(asdict(record)) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> "TrajectoryWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
