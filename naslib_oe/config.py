"""NASLib-style YAML configs: top-level ``search_space``, ``dataset``, ``optimizer``, ``seed``,
``out_dir`` and a ``search:`` block; our settings live under ``search.oe_dvae``.

A config may start from another with ``extends: other.yaml`` (relative to its own folder);
its keys are merged over the other's, section by section.

Any key can be overridden as ``dotted.key=value`` (the value is parsed as YAML).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping, Sequence

import yaml

from naslib_oe.bo import BOSettings
from naslib_oe.errors import ConfigError
from naslib_oe.metrics import RECONSTRUCTION_METHODS
from naslib_oe.models import VAEConfig
from naslib_oe.spaces import canonical_space_name
from naslib_oe.training import RECIPE_MODELS, TrainConfig
from naslib_oe.utils import coerce, dataclass_from_dict

DEFAULTS: dict[str, Any] = {"search_space": "enas", "dataset": "cifar10", "optimizer": "oe_dvae", "seed": 0,
                            "out_dir": "runs", "search": {}}
#: top-level keys a config may have: ours and NASLib's (its runner also reads ``evaluation``)
TOP_LEVEL_KEYS = frozenset(DEFAULTS) | {"evaluation", "dataset_api", "config_file", "data"}


def _set(tree: dict[str, Any], dotted: str, value: Any) -> None:
    node = tree
    *parents, leaf = dotted.split(".")
    for key in parents:
        node = node.setdefault(key, {})
        if not isinstance(node, dict):
            raise ConfigError(f"override {dotted!r}: {key!r} is not a section")
    node[leaf] = value


def _read(path: Path, chain: tuple[Path, ...]) -> dict[str, Any]:
    """One YAML file, with what it ``extends`` merged underneath."""
    if path.resolve() in chain:
        raise ConfigError(f"{path}: 'extends' loops back to itself ({' -> '.join(map(str, chain + (path,)))})")
    if not path.is_file():  # checked first: a folder or a socket would fail as a raw OSError
        raise ConfigError(f"config file {path} " + ("is a folder, not a YAML file" if path.is_dir() else "does not exist"))
    try:
        loaded = yaml.safe_load(path.read_text()) or {}
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"config file {path} cannot be read: {getattr(err, 'strerror', None) or err}") from None
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML: {err}") from None
    if not isinstance(loaded, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    base = loaded.pop("extends", None)
    if base is None:
        return loaded
    return _merge(_read(path.parent / base, chain + (path.resolve(),)), loaded)


def _merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def load_config(path: str | os.PathLike | None, overrides: Sequence[str] = ()) -> dict[str, Any]:
    """Read a YAML config (or the defaults when ``path`` is None) and apply overrides."""
    cfg = {k: (dict(v) if isinstance(v, dict) else v) for k, v in DEFAULTS.items()}
    if path is not None:
        cfg.update(_read(Path(path), ()))
    for item in overrides:
        key, sep, text = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"override {item!r} must look like key.path=value")
        top = key.strip().split(".")[0]
        if top not in cfg and top not in TOP_LEVEL_KEYS:  # a typo such as serach.epochs is not a new section
            raise ConfigError(f"override {item!r}: unknown top-level key {top!r}; expected one of "
                              f"{sorted(TOP_LEVEL_KEYS)}")
        _set(cfg, key.strip(), yaml.safe_load(text))
    try:
        cfg["search_space"] = canonical_space_name(str(cfg["search_space"]))
    except KeyError as err:
        raise ConfigError(f"{path}: search_space: {err.args[0]}") from None
    return cfg


@dataclass
class EvalSettings:
    """The D-VAE protocol's sizes (``search.oe_dvae.eval``); see :func:`naslib_oe.metrics.evaluate_vae`."""

    encode_times: int = 10
    decode_times: int = 10
    n_points: int = 1000
    reconstruction: str = "likelihood"  # likelihood (exact) | decode (literal decodes)

    def __post_init__(self) -> None:
        for key in ("encode_times", "decode_times", "n_points"):
            if getattr(self, key) < 1:
                raise ConfigError(f"eval.{key} must be >= 1, got {getattr(self, key)}")
        if self.reconstruction not in RECONSTRUCTION_METHODS:
            raise ConfigError(f"eval.reconstruction must be one of {RECONSTRUCTION_METHODS}, "
                              f"not {self.reconstruction!r}")

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "EvalSettings":
        return dataclass_from_dict(cls, values, "eval settings")


@dataclass
class OESettings:
    """Everything ``search.oe_dvae`` configures, with documented defaults."""

    model: VAEConfig = field(default_factory=VAEConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    checkpoint: str | None = None  # a trained GraphVAE to load instead of training
    data_path: str | None = None   # explicit benchmark file
    eval: EvalSettings = field(default_factory=EvalSettings)
    predictive_seeds: int = 10     # GP fits behind the predictive RMSE / Pearson
    bo: BOSettings = field(default_factory=BOSettings)
    evaluator: str = "table"       # table | surrogate (ENAS: decoded architectures outside the table)


def oe_settings(cfg: dict[str, Any], source: str = "config") -> OESettings:
    section = (cfg.get("search") or {}).get("oe_dvae") or {}
    known = {"model", "train", "checkpoint", "data_path", "eval", "predictive_seeds", "bo", "evaluator"}
    unknown = set(section) - known
    if unknown:
        raise ConfigError(f"{source}: unknown keys under search.oe_dvae: {sorted(unknown)}; known: {sorted(known)}")
    try:
        recipe = (section.get("train") or {}).get("recipe", "fast")  # an unknown name fails in TrainConfig
        model = VAEConfig.from_dict({**RECIPE_MODELS.get(recipe, {}), **(section.get("model") or {})})
        train = TrainConfig.from_dict({"seed": cfg.get("seed", 0), **(section.get("train") or {})})
        bo = BOSettings.from_dict(section.get("bo") or {})
        evaluation = EvalSettings.from_dict(section.get("eval") or {})
        predictive_seeds = coerce(section.get("predictive_seeds", 10), int, "predictive_seeds")
        if predictive_seeds < 0:
            raise ConfigError(f"predictive_seeds must be >= 0, got {predictive_seeds}")
    except (TypeError, ValueError) as err:
        raise ConfigError(f"{source}: search.oe_dvae: {err}") from None
    evaluator = section.get("evaluator", "table")
    if evaluator not in ("table", "surrogate"):
        raise ConfigError(f"{source}: search.oe_dvae.evaluator must be 'table' or 'surrogate', not {evaluator!r}")
    for key in ("checkpoint", "data_path"):
        if section.get(key) is not None and not isinstance(section[key], str):
            raise ConfigError(f"{source}: search.oe_dvae.{key} must be a path or zoo:<name>, got {section[key]!r}")
    return OESettings(model, train, section.get("checkpoint"), section.get("data_path"), evaluation,
                      predictive_seeds, bo, evaluator)


@dataclass(frozen=True)
class RunConfig:
    """A config parsed once, at its entry point (the CLI, ``run_enas.py``, or a Python call to
    :func:`~naslib_oe.harness.compare`): the harness, the pipeline and our optimizers take this
    object and read no keys by string. ``raw`` is the plain dict, kept for ``run.json`` and for
    the NASLib keys that the baselines and NASLib's own optimizers read under ``search``."""

    raw: dict[str, Any]
    space: str               # canonical search-space name
    dataset: str | None
    seed: int
    out_dir: Path
    settings: OESettings

    @classmethod
    def parse(cls, cfg: Mapping[str, Any], source: str = "config") -> "RunConfig":
        """Check and type ``cfg`` (a dict as :func:`load_config` returns it)."""
        cfg = dict(cfg)
        try:
            space = canonical_space_name(str(cfg.get("search_space", DEFAULTS["search_space"])))
        except KeyError as err:
            raise ConfigError(f"{source}: search_space: {err.args[0]}") from None
        seed = coerce(cfg.get("seed", DEFAULTS["seed"]), int, "seed")
        out_dir = cfg.get("out_dir", DEFAULTS["out_dir"])
        if not isinstance(out_dir, str):
            raise ConfigError(f"{source}: out_dir must be a folder path, got {out_dir!r}")
        dataset = cfg.get("dataset")
        if dataset is not None and not isinstance(dataset, str):
            raise ConfigError(f"{source}: dataset must be a name such as cifar10, got {dataset!r}")
        return cls({**cfg, "search_space": space}, space, dataset, seed, Path(out_dir), oe_settings(cfg, source))

    @property
    def search(self) -> dict[str, Any]:
        """The ``search:`` section: NASLib's keys, which our baselines read too."""
        return dict(self.raw.get("search") or {})

    def with_seed(self, seed: int) -> "RunConfig":
        """The same config with the top-level ``seed`` (a trial's), as if written so: the
        training seed follows it unless ``train.seed`` was set explicitly."""
        train_section = ((self.raw.get("search") or {}).get("oe_dvae") or {}).get("train") or {}
        train = self.settings.train if "seed" in train_section else replace(self.settings.train, seed=seed)
        return replace(self, raw={**self.raw, "seed": seed}, seed=seed, settings=replace(self.settings, train=train))

    def with_checkpoint(self, checkpoint: str) -> "RunConfig":
        """The same config with ``search.oe_dvae.checkpoint`` set."""
        search = self.search
        search["oe_dvae"] = {**(search.get("oe_dvae") or {}), "checkpoint": checkpoint}
        return replace(self, raw={**self.raw, "search": search}, settings=replace(self.settings, checkpoint=checkpoint))

    @property
    def vae_dir(self) -> Path:
        """``{out_dir}/{search_space}/vae_{embedding}_{encoder}``: where ``train`` saves by default."""
        model = self.settings.model
        return self.out_dir / self.space / f"vae_{model.op_embedding}_{model.encoder}"


def parse_config(path: str | os.PathLike | None, overrides: Sequence[str] = ()) -> RunConfig:
    """:func:`load_config` then :meth:`RunConfig.parse`: the one parse of an entry point."""
    return RunConfig.parse(load_config(path, overrides), source=str(path) if path is not None else "defaults")
