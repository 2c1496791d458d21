"""Trials as Ray tasks: a local Ray started on demand, or a cluster at ``ray_address``.

Ray is an optional extra (``pip install -e ".[ray]"``).
"""
from __future__ import annotations

from typing import Callable, Iterator, Sequence

from naslib_oe.errors import ConfigError


def run_on_ray(specs: Sequence, run_trial: Callable, ray_address: str | None = None) -> Iterator:
    """Submit one task per spec and yield outcomes as they finish."""
    try:
        import ray
    except ImportError:
        raise ConfigError("--backend ray needs Ray: pip install -e \".[ray]\"") from None
    started_here = not ray.is_initialized()
    if started_here:
        ray.init(address=ray_address, ignore_reinit_error=True, log_to_driver=False)
    pending = []
    try:
        task = ray.remote(num_cpus=1)(run_trial)
        pending = [task.remote(spec) for spec in specs]
        while pending:
            finished, pending = ray.wait(pending, num_returns=1)
            yield ray.get(finished[0])
    except BaseException:  # Ctrl-C or a failure here: no trial may go on writing into the run folder
        for ref in pending:
            ray.cancel(ref, force=True)
        raise
    finally:
        if started_here:
            ray.shutdown()
