"""An auditor needs no session: cookies a site sets are never sent back (a real server that sets
50 x 4 KB cookies on every page and answers 431 to a big Cookie header; the real CLI)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from funnel_audit.cli.main import main

PAGES = 8
COOKIE_LIMIT = 8 * 1024  # this server's limit on the Cookie header


class CookieSite:
    """Every page sets 50 cookies of 4 KB (names unique to the page) and links to all pages."""

    def __init__(self) -> None:
        self.cookie_sizes: list[int] = []
        self.statuses: list[int] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                cookie = self.headers.get("Cookie") or ""
                site.cookie_sizes.append(len(cookie))
                if len(cookie) > COOKIE_LIMIT:
                    self._send(431, b"Request Header Fields Too Large", "text/plain", [])
                    return
                if self.path == "/robots.txt":
                    self._send(404, b"none", "text/plain", [])
                    return
                slug = self.path.strip("/").replace("/", "-") or "home"
                cookies = [f"{slug}-c{i}={'v' * 4000}; Path=/" for i in range(50)]
                links = "".join(f'<a href="/p{n}">Page {n}</a> ' for n in range(PAGES))
                body = (
                    f"<html><head><title>Page {slug}</title></head><body><main>"
                    f"<h1>About {slug}</h1><p>Our plumbers fix leaks and boilers fast.</p>"
                    f"{links}</main></body></html>"
                ).encode()
                self._send(200, body, "text/html; charset=utf-8", cookies)

            def _send(self, status: int, body: bytes, ctype: str, cookies: list[str]) -> None:
                site.statuses.append(status)
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for cookie in cookies:
                    self.send_header("Set-Cookie", cookie)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def cookie_site() -> Iterator[CookieSite]:
    site = CookieSite()
    try:
        yield site
    finally:
        site.stop()


def test_cookies_are_never_sent_back(tmp_path: Path, cookie_site: CookieSite) -> None:
    out = tmp_path / "o"
    code = main(["audit", cookie_site.url, "--out", str(out), "--no-history", "--quiet"])
    assert code == 0
    assert len(cookie_site.cookie_sizes) >= PAGES  # the site was crawled, page after page
    assert set(cookie_site.cookie_sizes) == {0}  # and not one request carried a cookie
    assert 431 not in cookie_site.statuses
    pages = json.loads((out / "audit.json").read_text(encoding="utf-8"))["pages"]
    assert len(pages) == PAGES + 1
    assert all(not page.get("error") for page in pages), [p.get("error") for p in pages]
