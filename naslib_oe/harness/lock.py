"""An exclusive lock on a run folder, so that two processes never write one experiment.

The lock is an ``fcntl`` lock on ``run_dir/.lock``: the operating system releases it when
its process ends, however it ends (``kill -9`` included), so a stale lock never blocks a
``--resume``. The file records the holder's PID for the error message.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from typing import Iterator

from naslib_oe.errors import NaslibOEError
from naslib_oe.utils import writable_dir

LOCK_FILE = ".lock"


class RunLockedError(NaslibOEError, RuntimeError):
    """Another live process holds the run folder."""


@contextlib.contextmanager
def locked_run_dir(run_dir: Path) -> Iterator[None]:
    """Hold ``run_dir``'s lock for the ``with`` block; raise :class:`RunLockedError` if another process has it."""
    fd = os.open(writable_dir(run_dir) / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            raise RunLockedError(f"{run_dir} is in use by another naslib-oe process (pid {holder}); wait for it "
                                 f"to finish, or stop it, then --resume") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the lock
