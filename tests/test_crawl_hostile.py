"""Hostile and broken servers: redirects, retries, size caps, deadlines, framing faults,
content types, encodings, hostile links, crawl traps, politeness."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from funnel_audit.crawl.crawler import Crawler, CrawlSettings
from funnel_audit.crawl.fetch import HostThrottle, Transport, make_session, parse_retry_after
from funnel_audit.models import FetchedPage
from tests import servers
from tests.servers import RawServer, Route, SiteServer, html

pytest_plugins = ("tests.crawl_fixtures",)  # the `site` and `raw_server` fixtures

FAST = {"timeout": 5.0, "retries": 0, "concurrency": 1, "use_sitemaps": False}
RawFactory = Callable[[Callable[..., None]], RawServer]


def crawl(start: str, **options) -> tuple[list[FetchedPage], Crawler]:  # type: ignore[no-untyped-def]
    crawler = Crawler(CrawlSettings(**{**FAST, **options}))
    return list(crawler.crawl(start)), crawler


def fetch(url: str, **options) -> FetchedPage:  # type: ignore[no-untyped-def]
    return Crawler(CrawlSettings(**{**FAST, "respect_robots": False, **options})).fetch(url)


def errors(pages: list[FetchedPage]) -> dict[str, str | None]:
    return {"/" + p.url.split("/", 3)[3]: p.error for p in pages}


# -- redirects -------------------------------------------------------------------------------
def test_redirect_failures(site: SiteServer) -> None:
    with SiteServer() as other:
        other.page("/")
        site.page(
            "/",
            "/loop-a",
            "/ftp",
            "/away",
            "/chain0",
            "/no-location",
            "/js",
            "/bad",
            "/long",
            "/dir",
        )
        site.add("/loop-a", redirect="/loop-b")
        site.add("/loop-b", redirect="/loop-a/")  # a trailing-slash twin is the same page
        site.add("/ftp", redirect="ftp://files.example/x")
        site.add("/js", redirect="javascript:alert(1)")
        site.add("/bad", redirect="http://[::1")
        site.add("/away", redirect=other.url("/"))
        for i in range(12):
            site.add(f"/chain{i}", redirect=f"/chain{i + 1}", status=307)
        site.page("/chain12")
        site.add("/no-location", status=302)
        site.add("/long", redirect="/" + "x" * 5000)
        site.add("/dir", redirect="/dir/")  # servers canonicalise directories this way
        site.page("/dir/")
        pages, _ = crawl(site.url("/"), max_redirects=10)
        assert other.paths == []
    assert errors(pages) == {
        "/": None,
        "/loop-a": "redirect loop",
        "/ftp": "redirect to unsupported scheme: ftp",
        "/away": f"redirect out of scope: {other.url('/')}",
        "/chain0": "too many redirects (> 10)",
        "/no-location": "HTTP 302 redirect without a usable Location",
        "/js": "redirect to unsupported scheme: javascript",
        "/bad": "redirect to an invalid URL",
        "/long": "redirect to a URL over 2000 characters",
        "/dir": None,
    }
    assert len(site.hits_for("/chain10")) == 1 and site.hits_for("/chain11") == []


def test_hop_count_is_configurable(site: SiteServer) -> None:
    for i in range(3):
        site.add(f"/r{i}", redirect=f"/r{i + 1}")
    site.page("/r3")
    assert fetch(site.url("/r0"), max_redirects=3).final_url == site.url("/r3")
    assert fetch(site.url("/r0"), max_redirects=2).error == "too many redirects (> 2)"


# -- retries ---------------------------------------------------------------------------------
def test_retries_transient_statuses_with_backoff(site: SiteServer, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from funnel_audit.crawl import fetch as fetch_module

    monkeypatch.setattr(fetch_module, "BACKOFF_BASE", 0.05)
    site.add("/flaky", html("ok"), fail_times=2, fail_status=503)
    page = fetch(site.url("/flaky"), retries=2)
    assert page.ok and len(site.hits_for("/flaky")) == 3
    site.add("/down", html("never"), fail_times=99, fail_status=502)
    page = fetch(site.url("/down"), retries=1)
    assert page.error == "HTTP 502" and len(site.hits_for("/down")) == 2
    site.add("/gone", status=404)
    assert fetch(site.url("/gone"), retries=2).error == "HTTP 404"
    assert len(site.hits_for("/gone")) == 1  # 404 is not retried


def test_retry_after_is_honoured_and_slows_the_whole_host(site: SiteServer) -> None:
    site.add(
        "/limited", html("ok"), fail_times=1, fail_status=429, fail_headers={"Retry-After": "1"}
    )
    site.page("/other")
    stop = threading.Event()
    transport = Transport(
        make_session(), HostThrottle(stop), user_agent="t", timeout=5, retries=1, stop=stop
    )
    started = time.monotonic()
    limited = threading.Thread(
        target=transport.get, args=(site.url("/limited"),), kwargs={"max_bytes": 10_000}
    )
    limited.start()
    time.sleep(0.2)
    other = transport.get(site.url("/other"), max_bytes=10_000)
    limited.join()
    assert other.status == 200
    first, second = (hit.at for hit in site.hits_for("/limited"))
    assert second - first >= 0.95
    assert site.hits_for("/other")[0].at - started >= 0.95  # waited for the host's Retry-After


def test_parse_retry_after() -> None:
    now = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)
    assert parse_retry_after("5") == 5.0
    assert parse_retry_after("3600") == 60.0  # capped
    assert parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now) == 30
    assert parse_retry_after(format_datetime(now - timedelta(seconds=30), usegmt=True), now) == 0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_connection_errors_are_retried(raw_server: RawFactory, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from funnel_audit.crawl import fetch as fetch_module

    monkeypatch.setattr(fetch_module, "BACKOFF_BASE", 0.05)
    server = raw_server(servers.reset)
    page = fetch(server.url("/"), retries=2)
    assert page.error == "connection reset" and page.status is None
    assert server.connections == 3


# -- size, deadline, framing -----------------------------------------------------------------
def test_size_cap_declared_and_streamed(site: SiteServer, raw_server: RawFactory) -> None:
    site.add("/big", html("x" * 20_000))
    assert fetch(site.url("/big"), max_bytes=5000).error == "too large (> 5000 bytes)"
    endless = raw_server(servers.endless)
    started = time.monotonic()
    assert fetch(endless.url("/"), max_bytes=200_000).error == "too large (> 200000 bytes)"
    assert time.monotonic() - started < 3


def test_gzip_bomb_is_capped_on_decoded_size(site: SiteServer) -> None:
    site.add("/bomb", b"<html>" + b" " * (30 * 1024 * 1024), gzip=True)
    started = time.monotonic()
    page = fetch(site.url("/bomb"), max_bytes=1_000_000)
    assert page.error == "too large (> 1000000 bytes)"
    assert time.monotonic() - started < 5
    site.add("/small-gzip", html("compressed fine"), gzip=True)
    assert "compressed fine" in (fetch(site.url("/small-gzip")).html or "")


@pytest.mark.parametrize("behaviour", [servers.drip_body, servers.drip_headers, servers.silent])
def test_total_deadline(raw_server: RawFactory, behaviour: Callable[..., None]) -> None:
    server = raw_server(behaviour)
    started = time.monotonic()
    page = fetch(server.url("/"), timeout=1.0)
    elapsed = time.monotonic() - started
    assert page.error == "timeout after 1s"
    assert elapsed < 2.0


@pytest.mark.parametrize(
    ("behaviour", "error"),
    [
        (servers.short_body, "connection broken: incomplete body"),
        (servers.reset, "connection reset"),
        (servers.malformed, "malformed HTTP response"),
    ],
)
def test_framing_faults_are_rows(
    raw_server: RawFactory, behaviour: Callable[..., None], error: str
) -> None:
    page = fetch(raw_server(behaviour).url("/"))
    assert page.error == error and page.html is None


def test_unreachable_start_through_a_crawl(raw_server: RawFactory) -> None:
    from funnel_audit.errors import CrawlError

    server = raw_server(servers.silent)
    with pytest.raises(CrawlError, match=r"cannot reach .*timeout after 1s"):
        crawl(server.url("/"), timeout=1.0)


# -- content types and encodings -------------------------------------------------------------
def test_only_html_is_parsed(site: SiteServer) -> None:
    site.add("/pdf", b"%PDF-1.4" + b"\x00" * 100_000, content_type="application/pdf")
    site.add("/png", b"\x89PNG\r\n\x1a\n", content_type="image/png")
    site.add("/text", "plain words", content_type="text/plain; charset=utf-8")
    site.add("/xhtml", html("x"), content_type="application/xhtml+xml")
    site.add("/untyped-binary", b"\x89PNG\r\n\x1a\n" + b"\x00" * 2000, content_type=None)
    site.add("/untyped-html", html("sniffed"), content_type=None)
    site.add("/octet-html", html("x"), content_type="application/octet-stream")
    results = {
        path: fetch(site.url(path))
        for path in (
            "/pdf",
            "/png",
            "/text",
            "/xhtml",
            "/untyped-binary",
            "/untyped-html",
            "/octet-html",
        )
    }
    assert results["/pdf"].error == "non-HTML content: application/pdf"
    assert results["/png"].error == "non-HTML content: image/png"
    assert results["/text"].error == "non-HTML content: text/plain"
    assert results["/xhtml"].ok
    untyped = "non-HTML content: binary data without a Content-Type"
    assert results["/untyped-binary"].error == untyped
    assert results["/untyped-html"].ok and results["/untyped-html"].content_type == "text/html"
    assert results["/octet-html"].error == "non-HTML content: application/octet-stream"
    assert all(page.html is None for page in results.values() if page.error)


def test_encodings(site: SiteServer) -> None:
    cp1252 = "<p>café “quoted” – 5€</p>".encode("cp1252")
    site.add("/cp1252", cp1252, content_type="text/html")
    site.add(
        "/meta",
        b'<meta charset="windows-1251"><p>' + "Привет".encode("cp1251"),
        content_type="text/html",
    )
    equiv = b'<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-2">'
    site.add("/http-equiv", equiv + "zażółć".encode("iso-8859-2"), content_type="text/html")
    site.add("/bom16", "\ufeff<p>ünïcödé</p>".encode("utf-16-le"), content_type="text/html")
    site.add(
        "/header-wins",
        b'<meta charset="utf-8"><p>' + "é".encode("latin-1"),
        content_type="text/html; charset=ISO-8859-1",
    )
    site.add("/utf8", "<p>naïve — ok</p>", content_type="text/html")
    site.add("/bogus-charset", "<p>é</p>", content_type="text/html; charset=x-nonsense")
    text = {
        path: fetch(site.url(path)).html
        for path in (
            "/cp1252",
            "/meta",
            "/http-equiv",
            "/bom16",
            "/header-wins",
            "/utf8",
            "/bogus-charset",
        )
    }
    assert text["/cp1252"] == "<p>café “quoted” – 5€</p>"
    assert "Привет" in (text["/meta"] or "")
    assert "zażółć" in (text["/http-equiv"] or "")
    assert text["/bom16"] == "<p>ünïcödé</p>"
    assert (text["/header-wins"] or "").endswith("é")
    assert text["/utf8"] == "<p>naïve — ok</p>"
    assert text["/bogus-charset"] == "<p>é</p>"


# -- hostile links ---------------------------------------------------------------------------
def test_hostile_hrefs_are_ignored(site: SiteServer) -> None:
    long_same_site = "/" + "a" * 50_000
    site.page(
        "/",
        "/unicode/é",
        "javascript:alert(1)",
        "data:text/html,<script>x</script>",
        "mailto:a@b.c",
        "tel:+1",
        f"http://127.0.0.1:{site.port}99999/",
        "http://127.0.0.1:abc/",
        "http://[::1",
        "http://[zz::1]/",
        "http://exa mple.com/",
        "http://" + "x" * 300 + ".com/",
        long_same_site,
        "//",
        "https:",
        "?q=%ZZ",
        "/ok",
        "  /ok  ",
        "/ok#frag",
        f"HTTP://127.0.0.1:{site.port}/ok",
    )
    site.page("/ok")
    site.page("/unicode/%C3%A9")
    pages, crawler = crawl(site.url("/"), max_url_length=2000)
    assert [p.url for p in pages] == [
        site.url("/"),
        site.url("/unicode/%C3%A9"),
        site.url("/?q=%25ZZ"),
        site.url("/ok"),
    ]
    assert any("overlong or invalid links" in note for note in crawler.notes)
    assert not any(len(path) > 2000 for path in site.paths)


def test_links_per_page_are_bounded(site: SiteServer) -> None:
    site.page("/", *[f"/p{i}" for i in range(50)])
    for i in range(50):
        site.page(f"/p{i}")
    pages, crawler = crawl(site.url("/"), max_links_per_page=10, concurrency=4)
    assert len(pages) == 11


# -- crawl traps -----------------------------------------------------------------------------
def calendar(target: str) -> Route | None:
    """An endless calendar: every month links to the next and previous month and to its days."""
    parts = target.strip("/").split("/")
    if parts[0] != "calendar" or len(parts) not in (3, 4):
        return None
    year, month = int(parts[1]), int(parts[2])
    nxt = (year + month // 12, month % 12 + 1)
    prv = (year - (month == 1), (month - 2) % 12 + 1)
    hrefs = [f"/calendar/{nxt[0]}/{nxt[1]:02d}", f"/calendar/{prv[0]}/{prv[1]:02d}"]
    hrefs += [f"/calendar/{year}/{month:02d}/{day:02d}" for day in range(1, 29)]
    return Route(body=servers.links(*hrefs))


def test_calendar_trap_is_bounded(site: SiteServer) -> None:
    site.dynamic.append(calendar)
    site.page("/", "/calendar/2024/01", "/about")
    site.page("/about")
    pages, crawler = crawl(
        site.url("/"), max_pages=400, max_depth=50, trap_budget=15, concurrency=8
    )
    calendar_pages = [p for p in pages if "/calendar/" in p.url]
    months = [p for p in calendar_pages if p.url.count("/") == 5]
    days = [p for p in calendar_pages if p.url.count("/") == 6]
    assert len(months) <= 15 and len(days) <= 15
    assert len(pages) <= 32
    assert any("possible crawl trap" in note for note in crawler.notes)
    pages, _ = crawl(site.url("/"), max_pages=25, max_depth=50, concurrency=8)
    assert len(pages) == 25  # max_pages bounds it as well


def test_looping_paths_are_skipped(site: SiteServer) -> None:
    site.dynamic.append(
        lambda target: (
            Route(body=servers.links("a/", "b/")) if target.startswith("/loop/") else None
        )
    )
    site.page("/", "/loop/")
    pages, crawler = crawl(site.url("/"), max_depth=30, max_pages=300, concurrency=8)
    assert all(max(p.url.count("/a/"), p.url.count("/b/")) <= 3 for p in pages)
    assert len(pages) < 300


# -- politeness ------------------------------------------------------------------------------
def test_concurrency_is_used_and_bounded(site: SiteServer) -> None:
    site.page("/", *[f"/slow{i}" for i in range(8)])
    for i in range(8):
        site.add(f"/slow{i}", html("slow"), delay=0.3)
    started = time.monotonic()
    pages, _ = crawl(site.url("/"), concurrency=4)
    elapsed = time.monotonic() - started
    assert len(pages) == 9 and all(p.ok for p in pages)
    assert site.max_active <= 4
    assert site.max_active >= 3
    assert elapsed < 1.5  # 8 x 0.3 s serially would be 2.4 s


def test_delay_spaces_requests_per_host(site: SiteServer) -> None:
    site.page("/", *[f"/p{i}" for i in range(4)])
    for i in range(4):
        site.page(f"/p{i}")
    pages, _ = crawl(site.url("/"), concurrency=4, delay=0.2, respect_robots=False)
    assert len(pages) == 5
    times = sorted(hit.at for hit in site.hits)
    assert min(b - a for a, b in zip(times, times[1:], strict=False)) >= 0.16
    assert times[-1] - times[0] >= 4 * 0.2 - 0.02


def test_stopping_early_releases_the_workers(site: SiteServer) -> None:
    site.page("/", *[f"/p{i}" for i in range(30)])
    for i in range(30):
        site.add(f"/p{i}", html("x"), delay=0.2)
    crawler = Crawler(CrawlSettings(**{**FAST, "concurrency": 4}))
    iterator = crawler.crawl(site.url("/"))
    first = [next(iterator), next(iterator)]
    iterator.close()  # type: ignore[attr-defined]
    assert first[0].ok
    time.sleep(0.6)
    assert not [t for t in threading.enumerate() if t.name.startswith("funnel-crawl")]
    assert len(site.paths) < 12
