"""The history database and the model cache live in the platform's user folders (platformdirs):
on Linux the same XDG places as before, and the FUNNEL_AUDIT_DB / FUNNEL_AUDIT_CACHE variables
still win."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from funnel_audit import paths
from funnel_audit.classify.store import cache_dir, default_model_path
from funnel_audit.cli.main import main
from funnel_audit.paths import db_path as default_db_path

linux = pytest.mark.skipif(sys.platform != "linux", reason="the XDG folders are Linux's")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home folder with no XDG or funnel-audit variables set."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for var in ("XDG_DATA_HOME", "XDG_CACHE_HOME", "FUNNEL_AUDIT_DB", "FUNNEL_AUDIT_CACHE"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path / "home"


@linux
def test_linux_defaults_are_the_xdg_folders(home: Path) -> None:
    assert default_db_path() == home / ".local/share/funnel-audit/history.sqlite3"
    assert cache_dir() == home / ".cache/funnel-audit"
    assert default_model_path().parent == home / ".cache/funnel-audit"


@linux
def test_xdg_variables_are_respected_when_absolute(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert default_db_path() == tmp_path / "data/funnel-audit/history.sqlite3"
    assert cache_dir() == tmp_path / "cache/funnel-audit"
    # the XDG specification: a relative path is invalid and ignored
    monkeypatch.setenv("XDG_DATA_HOME", "relative/data")
    assert default_db_path() == home / ".local/share/funnel-audit/history.sqlite3"


def test_the_variables_win_and_empty_ones_count_as_unset(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FUNNEL_AUDIT_DB", str(tmp_path / "elsewhere.sqlite3"))
    monkeypatch.setenv("FUNNEL_AUDIT_CACHE", str(tmp_path / "models"))
    assert default_db_path() == tmp_path / "elsewhere.sqlite3"
    assert cache_dir() == tmp_path / "models"
    monkeypatch.setenv("FUNNEL_AUDIT_DB", "")
    monkeypatch.setenv("FUNNEL_AUDIT_CACHE", "")
    assert default_db_path() == paths.data_dir() / "history.sqlite3"
    assert cache_dir() == paths.cache_dir()


def test_looking_up_the_folders_creates_nothing(home: Path) -> None:
    default_db_path()
    cache_dir()
    assert not home.exists()


@linux
def test_an_audit_is_recorded_in_the_user_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # the session's model cache stays set, so nothing is trained
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("FUNNEL_AUDIT_DB")
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text(
        "<html><head><title>Pricing</title></head><body><h1>Plans and pricing</h1>"
        "<p>Starter costs $19 a month, billed yearly.</p></body></html>",
        encoding="utf-8",
    )
    assert main(["audit", str(site), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    assert (tmp_path / "data/funnel-audit/history.sqlite3").is_file()
    capsys.readouterr()
    assert main(["history", "--json"]) == 0
    assert [row["target"] for row in json.loads(capsys.readouterr().out)] == [str(site)]
