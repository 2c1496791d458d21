"""Where benchmark files live, and checking that they are the files we expect.

Lookup order for a known file (:data:`DATA_FILES`, declared by each benchmark module):

1. an explicit path (a file, or a folder holding the file's relative path or its name);
2. the folder in ``$NASLIB_OE_DATA``;
3. the user cache (``$NASLIB_OE_CACHE``, else ``$XDG_CACHE_HOME/naslib_oe``, else
   ``~/.cache/naslib_oe``);
4. for files with a public URL, a download into the cache, checked by sha256.

Files found in 2-4 are checked against their sha256; an explicit path is the user's own
file and is read as is. A download goes to a temporary file first, so a failed or
corrupt download never leaves a half-written file in the cache.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from naslib_oe.errors import NaslibOEError
from naslib_oe.spaces.registry import descriptors
from naslib_oe.utils import sha256_of

ENV_DATA = "NASLIB_OE_DATA"
ENV_CACHE = "NASLIB_OE_CACHE"


class DataError(NaslibOEError, RuntimeError):
    """Base class of benchmark-data problems."""


class DataNotFoundError(DataError, FileNotFoundError):
    """A benchmark file is not in any of the places we look."""


class DataIntegrityError(DataError):
    """A benchmark file exists but its checksum or size is wrong."""


class DataFormatError(DataError, ValueError):
    """A benchmark file cannot be parsed; the message names the file and line."""


@dataclass(frozen=True)
class DataFile:
    """A benchmark file the package knows about."""

    key: str
    relpath: str
    sha256: str | None
    description: str
    url: str | None = None

    @property
    def filename(self) -> str:
        return Path(self.relpath).name


#: every benchmark file the package knows, by key; each benchmark module registers its own
#: (:func:`register_data_file`), and :func:`known_data_files` imports those of every space
DATA_FILES: dict[str, DataFile] = {}


def register_data_file(spec: DataFile) -> DataFile:
    """Make ``spec`` known to :func:`locate` and ``naslib-oe data`` (at its module's import)."""
    DATA_FILES[spec.key] = spec
    return spec


def known_data_files() -> dict[str, DataFile]:
    """:data:`DATA_FILES` once the benchmark module of every registered space is imported."""
    for space in descriptors():
        space.benchmark_loader  # noqa: B018 -- importing the module registers its files
    return DATA_FILES


def cache_dir() -> Path:
    """The per-user cache folder (not created here)."""
    if os.environ.get(ENV_CACHE):
        return Path(os.environ[ENV_CACHE]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "naslib_oe"


def verify(path: Path, spec: DataFile) -> None:
    """Raise :class:`DataIntegrityError` if ``path`` does not have ``spec``'s sha256."""
    if spec.sha256 is None:
        return
    actual = sha256_of(path)
    if actual != spec.sha256:
        raise DataIntegrityError(
            f"{path}: sha256 is {actual}, expected {spec.sha256} for {spec.relpath}. "
            f"The file is corrupt or a different version: replace it, or pass its path "
            f"explicitly to read it unchecked."
        )


def _in_folder(folder: Path, spec: DataFile) -> Path | None:
    for candidate in (folder / spec.relpath, folder / spec.filename):
        if candidate.is_file():
            return candidate
    return None


def candidate_folders() -> list[tuple[str, Path]]:
    """The folders searched after an explicit path, labelled by where they come from."""
    folders = []
    if os.environ.get(ENV_DATA):
        folders.append((f"${ENV_DATA}", Path(os.environ[ENV_DATA]).expanduser()))
    folders.append(("cache", cache_dir()))
    return folders


def download(spec: DataFile, dest: Path, timeout: float = 60.0) -> Path:
    """Download ``spec.url`` to ``dest`` atomically, checking its sha256.

    The bytes go to a temporary file beside ``dest``; only a complete file with the right
    checksum is renamed into place. Anything else is deleted and raises.
    """
    if spec.url is None:
        raise DataNotFoundError(f"{spec.relpath} has no public URL to download from")
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(spec.url, timeout=timeout) as resp:
            expected = resp.headers.get("Content-Length")
            shutil.copyfileobj(resp, out)
        if expected is not None and tmp.stat().st_size != int(expected):
            raise DataIntegrityError(
                f"{spec.url}: download truncated ({tmp.stat().st_size} of {expected} bytes); "
                f"nothing was written to {dest}"
            )
        try:
            verify(tmp, spec)
        except DataIntegrityError as err:
            raise DataIntegrityError(f"download of {spec.url} failed its checksum, nothing was written "
                                     f"to {dest}: {err}") from None
        os.replace(tmp, dest)
        return dest
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def locate(key: str, path: str | os.PathLike | None = None, allow_download: bool = True) -> Path:
    """Find benchmark file ``key`` (see :data:`DATA_FILES`), in the module's lookup order.

    Raises:
        DataNotFoundError: nowhere to be found; the message lists where we looked and how
            to provide the file.
        DataIntegrityError: found (or downloaded) with the wrong checksum.
    """
    try:
        spec = DATA_FILES[key] if key in DATA_FILES else known_data_files()[key]
    except KeyError:
        raise KeyError(f"unknown data file {key!r}; known: {sorted(DATA_FILES)}") from None
    looked: list[str] = []
    if path is not None:
        p = Path(path).expanduser()
        found = p if p.is_file() else (_in_folder(p, spec) if p.is_dir() else None)
        if found is not None:
            return found
        raise DataNotFoundError(f"{spec.relpath}: no such file at the explicit path {p}")
    for label, folder in candidate_folders():
        found = _in_folder(folder, spec)
        looked.append(f"{label}: {folder / spec.relpath}")
        if found is not None:
            verify(found, spec)
            return found
    how = (
        f"set {ENV_DATA} to a folder that holds {spec.relpath}, copy it into "
        f"{cache_dir() / spec.relpath}, or pass its path explicitly"
    )
    if spec.url is not None and allow_download:
        try:
            return download(spec, cache_dir() / spec.relpath)
        except OSError as err:  # offline, DNS, refused: urllib's URLError is an OSError
            looked.append(f"download from {spec.url} failed ({err})")
    raise DataNotFoundError(
        f"cannot find {spec.relpath} ({spec.description}). Looked in: " + "; ".join(looked) + f". To fix: {how}."
    )


@dataclass
class DataStatus:
    """One row of ``naslib-oe data``."""

    key: str
    relpath: str
    path: Path | None
    source: str
    checksum: str  # "ok", "MISMATCH", "unchecked" or "-"


def data_status() -> list[DataStatus]:
    """Where each known benchmark file is found, and whether its checksum matches."""
    rows = []
    for spec in known_data_files().values():
        row = DataStatus(spec.key, spec.relpath, None, "not found" + (" (downloadable)" if spec.url else ""), "-")
        for label, folder in candidate_folders():
            found = _in_folder(folder, spec)
            if found is not None:
                ok = spec.sha256 is None or sha256_of(found) == spec.sha256
                row = DataStatus(spec.key, spec.relpath, found, label,
                                 "unchecked" if spec.sha256 is None else ("ok" if ok else "MISMATCH"))
                break
        rows.append(row)
    return rows
