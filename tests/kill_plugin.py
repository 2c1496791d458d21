"""A test-only optimizer family that kills its own process at an exact query: the hook that
drives the kill-and-resume test (no timers, no polling).

``killonce-ls`` is our ``ls`` (``killonce-oe_dvae:<finetune>`` our refit ``oe_dvae``) (built by ``build_optimizer``, so it reads the same config keys);
its ``new_epoch`` sends SIGKILL to the process once query ``KILL_AT`` has been evaluated but
before the harness logs it, the first time only (a marker file remembers it). The resumed run,
under the same name, then runs on. Import this module in the process that runs ``compare``
to register the family.
"""
from __future__ import annotations

import os
import signal
from pathlib import Path

from naslib_oe.optimizers import BlackBoxOptimizer, OptimizerFamily, build_optimizer, register_family

KILL_AT = 37  # queries logged before the kill
MARKER_ENV = "NASLIB_OE_TEST_KILL_MARKER"  # the file that says "already killed once"


def killed_once(name: str, cfg, seed: int) -> BlackBoxOptimizer:
    optimizer = build_optimizer(name, cfg, seed=seed)
    query = optimizer.new_epoch

    def new_epoch(epoch: int) -> None:
        query(epoch)
        marker = Path(os.environ[MARKER_ENV])
        if epoch == KILL_AT and not marker.exists():
            marker.write_text(str(os.getpid()))
            os.kill(os.getpid(), signal.SIGKILL)

    optimizer.new_epoch = new_epoch
    return optimizer


register_family(OptimizerFamily("killonce-", ("ls",), killed_once, check=lambda name: None, module=__name__,
                                variants=("oe_dvae",)))  # killonce-oe_dvae:embedding+head: a refit search
