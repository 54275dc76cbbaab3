"""Sitemaps: indexes, gzip, lastmod, scope, malformed and hostile XML."""

from __future__ import annotations

import gzip

import pytest

from funnel_audit.crawl.crawler import Crawler, CrawlSettings
from funnel_audit.crawl.sitemaps import SitemapError, gunzip_bounded, parse_sitemap
from funnel_audit.models import FetchedPage
from tests.servers import SiteServer

pytest_plugins = ("tests.crawl_fixtures",)  # the `site` and `raw_server` fixtures

FAST = {"timeout": 5.0, "retries": 0, "concurrency": 1}
NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
XML = "application/xml"


def urlset(*entries: tuple[str, str | None]) -> str:
    body = "".join(
        f"<url><loc>{loc}</loc>" + (f"<lastmod>{mod}</lastmod>" if mod else "") + "</url>"
        for loc, mod in entries
    )
    return f'<?xml version="1.0" encoding="UTF-8"?><urlset {NS}>{body}</urlset>'


def index(*locs: str) -> str:
    body = "".join(f"<sitemap><loc>{loc}</loc></sitemap>" for loc in locs)
    return f"<sitemapindex {NS}>{body}</sitemapindex>"


def crawl(start: str, **options) -> tuple[list[FetchedPage], Crawler]:  # type: ignore[no-untyped-def]
    crawler = Crawler(CrawlSettings(**{**FAST, **options}))
    return list(crawler.crawl(start)), crawler


def test_index_gzip_lastmod_and_scope(site: SiteServer) -> None:
    site.page("/")  # links to nothing: every other page comes from the sitemaps
    site.add(
        "/robots.txt", f"Sitemap: {site.url('/sitemap_index.xml')}\n", content_type="text/plain"
    )
    site.add(
        "/sitemap_index.xml",
        index(site.url("/posts.xml.gz"), site.url("/pages.xml")),
        content_type=XML,
    )
    posts = urlset((site.url("/post-1"), "2024-05-01"), (site.url("/post-2?utm_source=x"), None))
    site.add("/posts.xml.gz", gzip.compress(posts.encode()), content_type="application/gzip")
    site.add(
        "/pages.xml",
        urlset(
            (site.url("/about"), "2023-01-01T10:00:00+00:00"),
            ("https://elsewhere.example/x", None),
            ("javascript:x", None),
            (site.url("/"), "2022-02-02"),
        ),
        content_type=XML,
        gzip=True,
    )
    for path in ("/post-1", "/post-2", "/about"):
        site.page(path)
    pages, crawler = crawl(site.url("/"))
    lastmods = {p.url: p.lastmod for p in pages}
    assert lastmods == {
        site.url("/"): "2022-02-02",
        site.url("/post-1"): "2024-05-01",
        site.url("/post-2"): None,
        site.url("/about"): "2023-01-01T10:00:00+00:00",
    }
    assert all(p.depth == 1 for p in pages[1:])
    assert "sitemaps: 1 URL(s) outside the site were dropped" in crawler.notes
    assert "sitemaps: 1 invalid URL(s) were dropped" in crawler.notes


def test_default_sitemap_location_and_no_sitemaps(site: SiteServer) -> None:
    site.page("/")
    site.page("/hidden")
    site.add("/sitemap.xml", urlset((site.url("/hidden"), None)), content_type=XML)
    pages, crawler = crawl(site.url("/"))
    assert [p.url for p in pages] == [site.url("/"), site.url("/hidden")]
    pages, crawler = crawl(site.url("/"), use_sitemaps=False)
    assert [p.url for p in pages] == [site.url("/")]
    assert "/sitemap.xml" in site.paths


def test_missing_default_sitemap_is_silent_but_listed_one_is_noted(site: SiteServer) -> None:
    site.page("/")
    _, crawler = crawl(site.url("/"))
    assert crawler.notes == []
    site.add("/robots.txt", f"Sitemap: {site.url('/gone.xml')}\n", content_type="text/plain")
    _, crawler = crawl(site.url("/"))
    assert crawler.notes == [f"sitemap {site.url('/gone.xml')} unavailable: HTTP 404"]


def test_malformed_sitemap_is_reported(site: SiteServer) -> None:
    site.page("/")
    site.add("/sitemap.xml", "<urlset><url><loc>broken", content_type=XML)
    _, crawler = crawl(site.url("/"))
    assert len(crawler.notes) == 1
    expected = f"sitemap {site.url('/sitemap.xml')} malformed: malformed XML"
    assert crawler.notes[0].startswith(expected)


def test_index_cycle_terminates(site: SiteServer) -> None:
    site.page("/")
    site.page("/leaf")
    site.add("/sitemap.xml", index(site.url("/a.xml")), content_type=XML)
    site.add("/a.xml", index(site.url("/b.xml"), site.url("/sitemap.xml")), content_type=XML)
    site.add("/b.xml", index(site.url("/a.xml"), site.url("/leaf.xml")), content_type=XML)
    site.add("/leaf.xml", urlset((site.url("/leaf"), None)), content_type=XML)
    pages, _ = crawl(site.url("/"))
    assert [p.url for p in pages] == [site.url("/"), site.url("/leaf")]
    assert site.paths.count("/a.xml") == 1 and site.paths.count("/sitemap.xml") == 1


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<urlset><url><loc>http://x/&lol3;</loc></url></urlset>"""
XXE = """<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<urlset><url><loc>http://x/&xxe;</loc></url></urlset>"""


@pytest.mark.parametrize("document", [BILLION_LAUGHS, XXE])
def test_dtd_and_entities_are_refused(site: SiteServer, document: str) -> None:
    site.page("/")
    site.add("/sitemap.xml", document, content_type=XML)
    pages, crawler = crawl(site.url("/"))
    assert len(pages) == 1
    assert "refused unsafe XML" in crawler.notes[0]
    with pytest.raises(SitemapError, match="refused unsafe XML"):
        parse_sitemap(document.encode())


def test_gzip_bomb_is_refused() -> None:
    bomb = gzip.compress(b"<" + b" " * (60 * 1024 * 1024))
    assert len(bomb) < 200_000
    with pytest.raises(SitemapError, match="decompresses to more than"):
        parse_sitemap(bomb)
    with pytest.raises(SitemapError, match="more than 1000 bytes"):
        gunzip_bounded(gzip.compress(b"x" * 5000), limit=1000)
    with pytest.raises(SitemapError, match="bad gzip"):
        gunzip_bounded(b"\x1f\x8bnot gzip at all")


def test_text_sitemaps_and_other_roots() -> None:
    parsed = parse_sitemap(b"http://e.com/a\n\nhttps://e.com/b\n")
    assert parsed.kind == "text" and [u for u, _ in parsed.urls] == [
        "http://e.com/a",
        "https://e.com/b",
    ]
    with pytest.raises(SitemapError, match="not a sitemap"):
        parse_sitemap(b"<html><body>hi</body></html>")
    with pytest.raises(SitemapError):
        parse_sitemap(b"just words")


def test_entries_per_file_are_capped() -> None:
    entries = "".join(f"<url><loc>http://e.com/{i}</loc></url>" for i in range(50_010))
    parsed = parse_sitemap(f"<urlset {NS}>{entries}</urlset>".encode())
    assert len(parsed.urls) == 50_000 and parsed.truncated
