"""``run.json``: the record of one compare experiment (config, budget, optimum, versions)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from naslib_oe.errors import ConfigError

RUN_FILE = "run.json"


def read_run_file(run_dir: Path) -> dict[str, Any]:
    """``run_dir/run.json``, or a :class:`ConfigError` naming the file when it is missing or damaged."""
    path = Path(run_dir) / RUN_FILE
    try:
        stored = json.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"{path} does not exist: {run_dir} is not a compare run folder") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path} is damaged ({err}); restore it, or start the experiment in a new --out") from None
    if not isinstance(stored, dict):
        raise ConfigError(f"{path} is damaged (not a JSON object); restore it, or use a new --out")
    return stored
