"""robots.txt: rules, status handling, Crawl-delay, redirects."""

from __future__ import annotations

import pytest

from funnel_audit.crawl.crawler import Crawler, CrawlSettings
from funnel_audit.crawl.robots import RobotsRules, agent_token, parse_robots
from funnel_audit.errors import CrawlError
from funnel_audit.models import FetchedPage
from tests.servers import SiteServer

pytest_plugins = ("tests.crawl_fixtures",)  # the `site` and `raw_server` fixtures

FAST = {"timeout": 5.0, "retries": 0, "concurrency": 1, "use_sitemaps": False}


def crawl(start: str, **options) -> tuple[list[FetchedPage], Crawler]:  # type: ignore[no-untyped-def]
    crawler = Crawler(CrawlSettings(**{**FAST, **options}))
    return list(crawler.crawl(start)), crawler


def robots(server: SiteServer, text: str, **options: object) -> None:
    server.add("/robots.txt", text, content_type="text/plain", **options)


def small_site(server: SiteServer) -> None:
    server.page("/", "/public", "/private/a", "/only-us")
    for path in ("/public", "/private/a", "/only-us"):
        server.page(path)


def test_disallowed_urls_are_rows_not_requests(site: SiteServer) -> None:
    small_site(site)
    robots(
        site,
        "User-agent: *\nDisallow: /private/\n\nUser-agent: funnel-audit\n"
        "Disallow: /only-us\nDisallow: /private/\n",
    )
    pages, _ = crawl(site.url("/"))
    rows = {p.url.rsplit(":", 1)[1].split("/", 1)[1]: p for p in pages}
    assert rows["public"].ok
    for blocked in ("private/a", "only-us"):
        assert rows[blocked].error == "blocked by robots.txt"
        assert rows[blocked].status is None and rows[blocked].html is None
    assert "/private/a" not in site.paths and "/only-us" not in site.paths
    assert site.paths.count("/robots.txt") == 1
    pages, _ = crawl(site.url("/"), respect_robots=False)
    assert all(p.ok for p in pages) and len(pages) == 4


@pytest.mark.parametrize("status", [401, 403, 404, 410])
def test_robots_4xx_means_allow_all(site: SiteServer, status: int) -> None:
    small_site(site)
    robots(site, "User-agent: *\nDisallow: /\n", status=status)
    pages, crawler = crawl(site.url("/"))
    assert len(pages) == 4 and all(p.ok for p in pages)
    assert crawler.notes == []


@pytest.mark.parametrize("status", [500, 503, 429])
def test_robots_5xx_or_429_disallows_the_host(site: SiteServer, status: int) -> None:
    small_site(site)
    robots(site, "", status=status)
    with pytest.raises(CrawlError, match=rf"robots.txt unreachable \(HTTP {status}\)"):
        crawl(site.url("/"))
    assert site.paths == ["/robots.txt"]


def test_robots_redirect_is_followed(site: SiteServer) -> None:
    small_site(site)
    site.add("/robots.txt", redirect="/real-robots.txt", status=301)
    robots_text = "User-agent: *\nDisallow: /public\n"
    site.add("/real-robots.txt", robots_text, content_type="text/plain")
    pages, _ = crawl(site.url("/"))
    assert [p.error for p in pages].count("blocked by robots.txt") == 1


def test_robots_redirect_chain_over_five_means_no_rules(site: SiteServer) -> None:
    small_site(site)
    for i in range(8):
        site.add("/robots.txt" if i == 0 else f"/r{i}", redirect=f"/r{i + 1}")
    pages, crawler = crawl(site.url("/"))
    assert all(p.ok for p in pages)
    assert any("more than 5 redirects" in note for note in crawler.notes)


def test_oversized_robots_is_cut_at_512_kib(site: SiteServer) -> None:
    small_site(site)
    filler = "# " + "x" * 1000 + "\n"
    robots(site, "User-agent: *\nDisallow: /private/\n" + filler * 600 + "Disallow: /public\n")
    pages, _ = crawl(site.url("/"))
    errors = {p.url.rsplit("/", 1)[1]: p.error for p in pages}
    assert errors["a"] == "blocked by robots.txt"  # rule in the first 512 KiB
    assert errors["public"] is None  # rule after the cut


def test_crawl_delay_spaces_requests(site: SiteServer) -> None:
    site.page("/", "/a", "/b", "/c")
    for path in ("/a", "/b", "/c"):
        site.page(path)
    robots(site, "User-agent: *\nCrawl-delay: 0.25\n")
    pages, _ = crawl(site.url("/"), concurrency=4)
    assert len(pages) == 4
    times = sorted(hit.at for hit in site.hits if hit.path != "/robots.txt")
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert min(gaps) >= 0.2  # server-side timestamps jitter a little under load
    assert times[-1] - times[0] >= 3 * 0.25 - 0.02


def test_huge_crawl_delay_is_capped_with_a_note() -> None:
    rules = parse_robots("User-agent: *\nCrawl-delay: 86400\n", "funnel-audit", "http://e.com")
    assert rules.crawl_delay == 30.0
    assert "Crawl-delay" in rules.notes[0]


def test_rules_helpers() -> None:
    assert agent_token("funnel-audit/0.1.0 (+https://x)") == "funnel-audit"
    assert RobotsRules().allows("http://e.com/x", "a")
    assert not RobotsRules(disallow_all=True).allows("http://e.com/x", "a")
    junk = parse_robots("\x00\xff<html>not robots</html>", "funnel-audit", "http://e.com")
    assert junk.allows("http://e.com/anything", "funnel-audit")
