"""`train` with bare `url,stage` label rows: private addresses need --allow-private, and a host
that cannot be reached is reported as such (the real CLI, real servers on 127.0.0.1)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from funnel_audit.cli.main import main
from tests.servers import SiteServer


def _labels(tmp_path: Path, url: str) -> Path:
    labels = tmp_path / "labels.csv"
    labels.write_text(f"url,title,text,stage\n{url},,,conversion\n", encoding="utf-8")
    return labels


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_loopback_label_url_needs_allow_private(
    tmp_path: Path, site: SiteServer, capsys: pytest.CaptureFixture[str]
) -> None:
    site.add("/members/renewals", "<html><body><main><p>Renew now</p></main></body></html>")
    labels = _labels(tmp_path, site.url("/members/renewals"))
    code = main(["train", str(labels), "--out", str(tmp_path / "m.npz")])
    assert code == 6
    err = capsys.readouterr().err
    assert "private or local address" in err and "--allow-private" in err
    assert site.hits == []  # nothing was fetched, not even robots.txt
    assert not (tmp_path / "m.npz").exists()


def test_unreachable_label_host_is_reported_as_unreachable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    labels = _labels(tmp_path, f"http://127.0.0.1:{_closed_port()}/pricing")
    code = main(
        ["train", str(labels), "--out", str(tmp_path / "m.npz"), "--allow-private"]
        + ["--timeout", "3"]
    )
    assert code == 6
    err = capsys.readouterr().err
    assert "connection refused" in err
    assert "robots" not in err
