"""Subdomain scope over real HTTP: one server on 127.0.0.1 answers for several host names (the
test resolves `*.site.test` and `other.test` to 127.0.0.1), and routes by the Host header."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from funnel_audit.crawl.crawler import Crawler, CrawlSettings

PAGES = {
    ("www.site.test", "/"): [
        "/about",
        "//blog.site.test:{port}/",
        "//other.test:{port}/",
        "http://shop.site.test:{port}/cart",
        "//notsite.test:{port}/",
    ],
    ("www.site.test", "/about"): ["/"],
    ("blog.site.test", "/"): ["/post-1", "http://www.site.test:{port}/"],
    ("blog.site.test", "/post-1"): [],
    ("shop.site.test", "/cart"): [],
    ("other.test", "/"): [],
    ("notsite.test", "/"): [],
}


class _Handler(BaseHTTPRequestHandler):
    seen: list[tuple[str, str]]

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0]
        self.seen.append((host, self.path))
        links = PAGES.get((host, self.path))
        if links is None:
            self.send_error(404)
            return
        port = self.server.server_address[1]
        anchors = "".join(f'<a href="{h.format(port=port)}">link</a> ' for h in links)
        body = (
            f"<html><head><title>{host}{self.path}</title></head><body><main><p>Page on "
            f"{host} at {self.path} with enough words to read as a page.</p>{anchors}"
            "</main></body></html>"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture
def hosts(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[int, list[tuple[str, str]]]]:
    seen: list[tuple[str, str]] = []
    handler = type("Handler", (_Handler,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    real = socket.getaddrinfo

    def resolve(host, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if isinstance(host, str) and host.endswith(".test"):
            host = "127.0.0.1"
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    yield server.server_address[1], seen
    server.shutdown()
    server.server_close()


def _crawl(port: int, include_subdomains: bool) -> set[str]:
    settings = CrawlSettings(
        include_subdomains=include_subdomains, allow_private=True, concurrency=2, use_sitemaps=False
    )
    return {p.final_url for p in Crawler(settings).crawl(f"http://www.site.test:{port}/") if p.ok}


def test_the_start_host_only_by_default(hosts: tuple[int, list[tuple[str, str]]]) -> None:
    port, seen = hosts
    assert _crawl(port, include_subdomains=False) == {
        f"http://www.site.test:{port}/",
        f"http://www.site.test:{port}/about",
    }
    assert {h for h, _ in seen} == {"www.site.test"}


def test_subdomains_are_crawled_with_their_own_robots_and_nothing_else(
    hosts: tuple[int, list[tuple[str, str]]],
) -> None:
    port, seen = hosts
    assert _crawl(port, include_subdomains=True) == {
        f"http://www.site.test:{port}/",
        f"http://www.site.test:{port}/about",
        f"http://blog.site.test:{port}/",
        f"http://blog.site.test:{port}/post-1",
        f"http://shop.site.test:{port}/cart",
    }
    contacted = {h for h, _ in seen}
    assert contacted == {"www.site.test", "blog.site.test", "shop.site.test"}
    assert {h for h, path in seen if path == "/robots.txt"} == contacted
