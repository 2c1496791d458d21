import hashlib
import io

import pytest

from naslib_oe.benchmarks import data as data_mod
from naslib_oe.benchmarks.data import (DATA_FILES, DataFile, DataIntegrityError, DataNotFoundError, data_status,
                                       locate)
from naslib_oe.cli import main


@pytest.fixture
def isolated(monkeypatch, tmp_path):
    """No env folder, an empty cache under tmp_path."""
    monkeypatch.delenv("NASLIB_OE_DATA", raising=False)
    monkeypatch.setenv("NASLIB_OE_CACHE", str(tmp_path / "cache"))
    return tmp_path


def test_lookup_order(isolated, monkeypatch, data_dir):
    real = data_dir / "nb201" / "nb201_table.csv"
    # explicit file, or explicit folder holding the relative path or the bare name
    assert locate("nb201", real) == real
    assert locate("nb201", data_dir) == real
    flat = isolated / "flat"
    flat.mkdir()
    (flat / "nb201_table.csv").symlink_to(real)
    assert locate("nb201", flat) == flat / "nb201_table.csv"
    # env folder beats the cache
    cached = isolated / "cache" / "nb201"
    cached.mkdir(parents=True)
    (cached / "nb201_table.csv").symlink_to(real)
    assert locate("nb201") == cached / "nb201_table.csv"
    monkeypatch.setenv("NASLIB_OE_DATA", str(data_dir))
    assert locate("nb201") == real


def test_missing_file_says_where_and_how(isolated):
    with pytest.raises(DataNotFoundError) as err:
        locate("nb201")
    msg = str(err.value)
    assert "cache" in msg and str(isolated / "cache" / "nb201" / "nb201_table.csv") in msg
    assert "NASLIB_OE_DATA" in msg
    with pytest.raises(DataNotFoundError, match="explicit path"):
        locate("nb201", isolated / "nope.csv")
    with pytest.raises(KeyError, match="unknown data file"):
        locate("nb999")


def test_wrong_checksum_in_env_folder(isolated, monkeypatch):
    folder = isolated / "data" / "nb101"
    folder.mkdir(parents=True)
    (folder / "nb101_sample500.json").write_text("{}")
    monkeypatch.setenv("NASLIB_OE_DATA", str(isolated / "data"))
    with pytest.raises(DataIntegrityError, match=r"nb101_sample500.json: sha256 is .* expected c34840"):
        locate("nb101_sample")
    # an explicit path is the user's own file and is read unchecked
    assert locate("nb101_sample", folder / "nb101_sample500.json").name == "nb101_sample500.json"


def _fake_spec(monkeypatch, url: str, sha: str) -> DataFile:
    spec = DataFile("enas", "enas/final_structures6.txt", sha, "test file", url)
    monkeypatch.setitem(DATA_FILES, "enas", spec)
    return spec


def test_download_checked_and_atomic(isolated, monkeypatch, data_dir):
    src = data_dir / "enas" / "final_structures6.txt"
    spec = _fake_spec(monkeypatch, src.as_uri(), DATA_FILES["enas"].sha256)
    path = locate("enas")
    assert path == isolated / "cache" / spec.relpath
    assert hashlib.sha256(path.read_bytes()).hexdigest() == spec.sha256
    assert locate("enas") == path  # now served from the cache


def test_download_with_wrong_checksum_leaves_nothing(isolated, monkeypatch):
    src = isolated / "fake.txt"
    src.write_text("not the ENAS file\n")
    _fake_spec(monkeypatch, src.as_uri(), "0" * 64)
    with pytest.raises(DataIntegrityError, match="failed its checksum, nothing was written"):
        locate("enas")
    folder = isolated / "cache" / "enas"
    assert list(folder.iterdir()) == []


def test_truncated_download_leaves_nothing(isolated, monkeypatch):
    _fake_spec(monkeypatch, "https://example.invalid/final_structures6.txt", "0" * 64)

    class Truncated(io.BytesIO):
        headers = {"Content-Length": "1000"}

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(data_mod.urllib.request, "urlopen", lambda url, timeout: Truncated(b"x" * 10))
    with pytest.raises(DataIntegrityError, match="truncated"):
        locate("enas")
    assert list((isolated / "cache" / "enas").iterdir()) == []


def test_interrupted_download_leaves_nothing(isolated, monkeypatch):
    _fake_spec(monkeypatch, "https://example.invalid/final_structures6.txt", "0" * 64)

    def broken(url, timeout):
        raise OSError("connection reset")

    monkeypatch.setattr(data_mod.urllib.request, "urlopen", broken)
    with pytest.raises(DataNotFoundError, match=r"download from .* failed \(connection reset\).*NASLIB_OE_DATA"):
        locate("enas")
    assert list((isolated / "cache" / "enas").iterdir()) == []


def test_no_download_for_files_without_url(isolated):
    with pytest.raises(DataNotFoundError, match="nb201_table.csv"):
        locate("nb201", allow_download=True)


def test_data_status_and_cli(isolated, monkeypatch, data_dir, capsys):
    monkeypatch.setenv("NASLIB_OE_DATA", str(data_dir))
    rows = {r.key: r for r in data_status()}
    assert {r.checksum for r in rows.values()} == {"ok"}
    assert rows["nb201"].path == data_dir / "nb201" / "nb201_table.csv"
    assert main(["data"]) == 0
    out = capsys.readouterr().out
    assert out.count(" ok ") == 3 and "$NASLIB_OE_DATA" in out
    monkeypatch.delenv("NASLIB_OE_DATA")
    assert main(["data"]) == 1  # nothing found is not a success
    captured = capsys.readouterr()
    assert "not found (downloadable)" in captured.out and "nb201/nb201_table.csv is missing" in captured.err
    partial = isolated / "partial" / "nb201"  # one file of three: the other configs cannot run
    partial.mkdir(parents=True)
    (partial / "nb201_table.csv").symlink_to(data_dir / "nb201" / "nb201_table.csv")
    monkeypatch.setenv("NASLIB_OE_DATA", str(partial.parent))
    assert main(["data"]) == 1
    captured = capsys.readouterr()
    assert "enas/final_structures6.txt is missing" in captured.err and "nb201_table.csv is missing" not in captured.err
    assert f"NASLIB_OE_DATA={partial.parent}" in captured.out
    monkeypatch.setenv("NASLIB_OE_DATA", str(isolated / "nowhere"))
    assert main(["data"]) == 1
    assert "which does not exist" in capsys.readouterr().err
    monkeypatch.delenv("NASLIB_OE_DATA")
    bad = isolated / "cache" / "nb201"
    bad.mkdir(parents=True)
    (bad / "nb201_table.csv").write_text("x")
    assert main(["data"]) == 1
    assert "MISMATCH" in capsys.readouterr().out
