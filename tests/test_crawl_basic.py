"""The crawler on well-behaved sites: scope, limits, de-duplication, callbacks, start errors."""

from __future__ import annotations

import socket
import threading

import pytest

from funnel_audit.crawl import crawler as crawl_module
from funnel_audit.crawl import pagefetch
from funnel_audit.crawl.crawler import Crawler, CrawlProgress, CrawlSettings
from funnel_audit.errors import CrawlError, InputError, TargetError
from funnel_audit.models import FetchedPage
from tests.servers import SiteServer, html

pytest_plugins = ("tests.crawl_fixtures",)  # the `site` and `raw_server` fixtures

FAST = {"timeout": 5.0, "retries": 0, "concurrency": 1}


def crawl(start: str, on_page=None, **options) -> tuple[list[FetchedPage], Crawler]:  # type: ignore[no-untyped-def]
    crawler = Crawler(CrawlSettings(**{**FAST, **options}))
    return list(crawler.crawl(start, on_page)), crawler


def test_crawls_the_site_and_stays_in_scope(site: SiteServer) -> None:
    with SiteServer() as other:
        other.page("/", "/secret")
        site.page("/", "/about", "/blog/", other.url("/"), "https://example.invalid/x")
        site.page("/about", "/", "/blog/")
        site.page("/blog/", "/blog/post-1", "/about")
        site.add("/blog/post-1", html("<p>hello</p>", title="Post"))
        pages, crawler = crawl(site.url("/"))
        assert other.paths == []
    assert [p.url for p in pages] == [
        site.url(path) for path in ("/", "/about", "/blog/", "/blog/post-1")
    ]
    assert [p.depth for p in pages] == [0, 1, 1, 2]
    assert all(p.ok and p.status == 200 and p.content_type == "text/html" for p in pages)
    assert "hello" in (pages[-1].html or "")
    assert pages[0].size_bytes > 0 and pages[0].elapsed_ms >= 0
    assert site.hits_for("/about")[0].headers["User-Agent"].startswith("funnel-audit/")


def test_start_url_may_be_deep_and_scope_is_the_host(site: SiteServer) -> None:
    site.page("/docs/guide", "/", "/pricing")
    site.page("/", "/contact")
    site.page("/pricing")
    site.page("/contact")
    pages, _ = crawl(site.url("/docs/guide"))
    assert {p.url for p in pages} == {
        site.url(p) for p in ("/docs/guide", "/", "/pricing", "/contact")
    }


def test_max_pages_and_max_depth(site: SiteServer) -> None:
    for i in range(10):
        site.page(f"/p{i}", f"/p{i + 1}")
    site.page("/", "/p0")
    pages, crawler = crawl(site.url("/"), max_depth=3)
    assert [p.url for p in pages] == [site.url(p) for p in ("/", "/p0", "/p1", "/p2")]
    assert any("beyond max depth 3" in note for note in crawler.notes)
    site.page("/", *[f"/p{i}" for i in range(10)])
    pages, crawler = crawl(site.url("/"), max_pages=4)
    assert len(pages) == 4
    assert any("max_pages=4" in note for note in crawler.notes)


def test_session_and_tracking_variants_are_fetched_once(site: SiteServer) -> None:
    site.page(
        "/",
        "/p",
        "/p/",
        "/p;jsessionid=ABC",
        "/p?PHPSESSID=1",
        "/p?utm_source=news",
        "/p#section",
        "/p?sid=9&utm_campaign=x",
        "./p",
        "/x/../p",
        "/%70",
    )
    site.page("/p", "/")
    pages, _ = crawl(site.url("/"))
    assert [p.url for p in pages] == [site.url("/"), site.url("/p")]
    assert len(site.hits_for("/p")) == 1


def test_on_page_runs_in_the_calling_thread_and_its_links_are_followed(site: SiteServer) -> None:
    site.page("/", "/ignored")
    site.page("/from-callback")
    site.page("/ignored")
    calls: list[tuple[str, int]] = []

    def on_page(page: FetchedPage) -> list[str]:
        calls.append((page.url, threading.get_ident()))
        return ["/from-callback", "  ", "javascript:x", site.url("/from-callback")]

    pages, _ = crawl(site.url("/"), on_page=on_page, concurrency=4)
    assert [p.url for p in pages] == [site.url("/"), site.url("/from-callback")]
    assert {ident for _, ident in calls} == {threading.get_ident()}
    assert [url for url, _ in calls] == [p.url for p in pages]


def test_base_href_is_honoured(site: SiteServer) -> None:
    site.add("/", html('<a href="page">x</a>', head='<base href="/sub/">'))
    site.page("/sub/page")
    pages, _ = crawl(site.url("/"))
    assert [p.url for p in pages] == [site.url("/"), site.url("/sub/page")]


def test_include_and_exclude(site: SiteServer) -> None:
    site.page("/", "/blog/a", "/blog/b", "/shop/c", "/blog/private")
    for path in ("/blog/a", "/blog/b", "/shop/c", "/blog/private"):
        site.page(path)
    pages, _ = crawl(site.url("/"), include=(r"/blog/",), exclude=(r"private",))
    assert [p.url for p in pages] == [site.url(p) for p in ("/", "/blog/a", "/blog/b")]
    with pytest.raises(InputError):
        Crawler(CrawlSettings(include=("([",)))


def test_progress_reports_every_page(site: SiteServer) -> None:
    site.page("/", "/a", "/missing")
    site.page("/a")
    seen: list[CrawlProgress] = []
    crawler = Crawler(CrawlSettings(**FAST), progress=seen.append)
    pages = list(crawler.crawl(site.url("/")))
    assert [p.done for p in seen] == [1, 2, 3]
    assert seen[-1].errors == 1 and seen[-1].queued == 0 and seen[-1].rate > 0
    assert len(pages) == 3


def test_redirect_within_site_reports_final_url_and_dedups(site: SiteServer) -> None:
    site.page("/", "/old", "/new", "/old2")
    site.add("/old", redirect="/new", status=301)
    site.add("/old2", redirect="/new", status=308)
    site.page("/new")
    pages, _ = crawl(site.url("/"))
    assert [(p.url, p.final_url) for p in pages] == [
        (site.url("/"), site.url("/")),
        (site.url("/old"), site.url("/new")),
    ]


def test_start_redirect_to_another_host_moves_the_scope(site: SiteServer) -> None:
    with SiteServer() as target:
        target.page("/", "/inside")
        target.page("/inside")
        site.add("/", redirect=target.url("/"))
        pages, crawler = crawl(site.url("/"))
    assert [p.final_url for p in pages] == [target.url("/"), target.url("/inside")]
    assert any("redirected" in note for note in crawler.notes)


def test_invalid_start_url_is_a_target_error() -> None:
    crawler = Crawler(CrawlSettings(**FAST))
    for bad in ("example.com", "ftp://example.com/", "http://[::1", "javascript:alert(1)"):
        with pytest.raises(TargetError) as caught:
            crawler.crawl(bad)
        assert caught.value.exit_code == 2 and "\n" not in str(caught.value)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_start_is_a_crawl_error() -> None:
    with pytest.raises(CrawlError, match=r"cannot reach .*connection refused.*check the URL"):
        crawl(f"http://127.0.0.1:{_closed_port()}/")


def test_start_that_is_not_html_or_missing_is_a_crawl_error(site: SiteServer) -> None:
    site.add("/file.pdf", b"%PDF-1.4", content_type="application/pdf")
    with pytest.raises(CrawlError, match="not an HTML page"):
        crawl(site.url("/file.pdf"))
    with pytest.raises(CrawlError, match="HTTP 404"):
        crawl(site.url("/nothing-here"))


def test_private_addresses_are_refused_unless_allowed(site: SiteServer, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """127.0.0.1 plays a public host here, `localhost` a private one."""

    def public(host: str) -> bool:
        return host != "localhost"

    monkeypatch.setattr(pagefetch, "host_is_public", public)
    monkeypatch.setattr(crawl_module, "host_is_public", public)
    with SiteServer() as inner:
        inner.page("/")
        site.page("/", "/jump")
        site.add("/jump", redirect=f"http://localhost:{inner.port}/")
        site.add("/start-jump", redirect=f"http://localhost:{inner.port}/")
        pages, _ = crawl(site.url("/"))
        assert pages[1].error == (
            "redirect to a private address refused: localhost is a private or local address"
        )
        with pytest.raises(CrawlError, match="private"):
            crawl(site.url("/start-jump"))
        assert inner.paths == []
        pages, _ = crawl(site.url("/start-jump"), allow_private=True)
        assert pages[0].final_url == inner.url("/").replace("127.0.0.1", "localhost")


def test_pages_are_not_kept_after_yielding(site: SiteServer) -> None:
    """40 pages of ~300 KB: holding them would need ~12 MB (and twice that as text)."""
    import tracemalloc

    filler = "<p>" + "lorem ipsum " * 25_000 + "</p>"
    site.page("/", *[f"/big{i}" for i in range(40)])
    for i in range(40):
        site.add(f"/big{i}", html(filler).encode())
    tracemalloc.start()
    try:
        count = sum(1 for page in Crawler(CrawlSettings(**FAST)).crawl(site.url("/")) if page.ok)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 41
    assert peak < 8_000_000
