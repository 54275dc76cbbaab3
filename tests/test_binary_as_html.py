"""Binary bodies served as text/html (or saved as .html) are error rows, never classified pages
(the real CLI against a real server on 127.0.0.1, and a folder)."""

from __future__ import annotations

import csv
import gzip
import io
import os
import zipfile
from pathlib import Path

from funnel_audit.cli.main import main
from tests.servers import SiteServer, html

WORDS = "Pricing plans compare buy now order today " * 400


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("prices.txt", WORDS)
    return buffer.getvalue()


BINARIES = {
    # a PDF with plenty of readable words in it, as the tester's "decision, 3,116 words" was
    "/report": b"%PDF-1.4\n1 0 obj << /Length 9000 >> stream\n" + WORDS.encode() + b"\nendstream",
    "/archive": _zip(),
    "/picture": b"\x89PNG\r\n\x1a\n" + os.urandom(3000),
    "/packed": gzip.compress(WORDS.encode()),
    "/noise": bytes(range(256)) * 8,
}


def _rows(out: Path) -> dict[str, dict[str, str]]:
    with (out / "pages.csv").open(encoding="utf-8-sig", newline="") as handle:
        return {row["url"]: row for row in csv.DictReader(handle)}


def test_binary_bodies_served_as_html_are_errors(tmp_path: Path, site: SiteServer) -> None:
    body = "<main><h1>Welcome</h1><p>Our pricing plans and products for small teams.</p>"
    body += "".join(f'<a href="{path}">{path}</a> ' for path in [*BINARIES, "/about"]) + "</main>"
    site.add("/", html(body, title="Home"))
    site.add("/about", html("<main><p>About our team and how we work.</p></main>", "About"))
    for path, data in BINARIES.items():
        site.add(path, data)  # served as text/html; charset=utf-8
    out = tmp_path / "o"
    assert main(["audit", site.url("/"), "--out", str(out), "--no-history", "--quiet"]) == 0
    rows = _rows(out)
    for path in BINARIES:
        row = rows[site.url(path)]
        assert row["error"].startswith("binary content served as text/html"), row
        assert row["stage"] == "", row
    assert rows[site.url("/about")]["error"] == ""
    assert rows[site.url("/")]["error"] == ""


def test_binary_html_files_in_a_folder_are_errors(tmp_path: Path) -> None:
    folder = tmp_path / "site"
    folder.mkdir()
    links = "".join(f'<a href="{path[1:]}.html">{path}</a> ' for path in BINARIES)
    (folder / "index.html").write_text(
        html(f"<main><h1>Welcome</h1><p>Our plans and products.</p>{links}</main>", "Home")
    )
    for path, data in BINARIES.items():
        (folder / f"{path[1:]}.html").write_bytes(data)
    out = tmp_path / "o"
    assert main(["audit", str(folder), "--out", str(out), "--no-history", "--quiet"]) == 0
    rows = _rows(out)
    binary = {url: row for url, row in rows.items() if not url.endswith("/")}
    assert len(binary) == len(BINARIES)
    for row in binary.values():
        assert row["error"].startswith("binary content"), row
        assert row["stage"] == "", row
