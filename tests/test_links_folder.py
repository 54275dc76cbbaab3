"""Link flow that is true for static-site folders and over HTTP.

Folder exports of real sites write their links for the live site (`<base href>`, absolute links
to the live host, links left on localhost, extension-less "pretty" links); all of them must reach
the folder's own pages. The funnel flow is measured on links in page bodies, not on the navigation
every page carries, and a robots.txt that shuts everything out is one clear error.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from funnel_audit.analyse.linkflow import analyse_links
from funnel_audit.analyse.linkmap import (
    LOCAL_HOSTS,
    Alias,
    HostClaims,
    LinkMapper,
    link_key,
    parse_alias,
    site_aliases,
)
from funnel_audit.cli.main import main
from funnel_audit.errors import InputError
from funnel_audit.models import FetchedPage, PageResult, Stage
from funnel_audit.read.extract import extract
from funnel_audit.store.history import MIGRATIONS
from funnel_audit.store.open import open_store
from funnel_audit.store.schema import POSTGRES, SQLITE, statements
from tests.pg_server import run_sql
from tests.servers import SiteServer

LIVE = "https://www.acme.example"
TEXT = (
    "Finance teams close the month faster when invoices, receipts and bank lines are matched "
    "for them. This page explains how reconciliation works and what it changes. "
) * 3


# -- building small sites ----------------------------------------------------------------------
def html(title: str, body: str = "", *, head: str = "", nav: str = "", footer: str = "") -> str:
    return (
        f"<!doctype html><html><head><title>{title} | Acme</title>{head}</head><body>"
        f'<header class="site-header"><nav>{nav}</nav></header>'
        f"<main><h1>{title}</h1><p>{TEXT}</p>{body}</main>"
        f"<footer>{footer}</footer></body></html>"
    )


def a(href: str, label: str = "link") -> str:
    return f'<a href="{href}">{label}</a>'


def write_site(root: Path, pages: dict[str, str], stages: dict[str, str]) -> Path:
    """Write the pages and a labels CSV (so stages do not depend on the model); returns the CSV."""
    for rel, text in pages.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    host = f"http://{root.name}.local/"
    labels = root.parent / f"{root.name}-labels.csv"
    labels.write_text(
        "url,stage\n" + "".join(f"{host}{p},{s}\n" for p, s in stages.items()), encoding="utf-8"
    )
    return labels


def run_audit(target: str, out: Path, *extra: str) -> tuple[int, dict]:
    code = main(
        ["audit", target, "--out", str(out), "--no-history", "--quiet", "--parsers", "0", *extra]
    )
    data = json.loads((out / "audit.json").read_text(encoding="utf-8")) if code == 0 else {}
    return code, data


def gaps(data: dict, kind: str) -> list[dict]:
    return [g for g in data["gaps"] if g["kind"] == kind]


def staging_export(root: Path) -> Path:
    """An export of www.acme.example: every page has <base href> and a canonical on the live
    host; the nav mixes absolute live links, pretty links and a localhost link; the footer links
    About, which nothing else links."""
    nav = "".join(
        [
            a("/", "Home"),
            a(f"{LIVE}/features/", "Features"),
            a("/pricing", "Pricing"),
            a("blog/", "Blog"),
            a("http://localhost:4000/demo/", "Book a demo"),
        ]
    )
    footer = a("/about", "About")

    def page(rel: str, title: str, body: str = "") -> str:
        path = rel.removesuffix("index.html")
        head = (
            f'<base href="{LIVE}/"><link rel="canonical" href="{LIVE}/{path}">'
            f'<meta property="og:url" content="{LIVE}/{path}">'
        )
        return html(title, body, head=head, nav=nav, footer=footer)

    pages = {
        "index.html": page("index.html", "Home", a("blog/guide", "Read the guide")),
        "blog/index.html": page(
            "blog/index.html",
            "Blog",
            a("/blog/guide/", "Guide") + a(f"{LIVE}/blog/checklist.html", "Checklist"),
        ),
        "blog/guide.html": page("blog/guide.html", "Guide", a("/features", "See the features")),
        "blog/checklist.html": page(
            "blog/checklist.html", "Checklist", a("/pricing.html", "See pricing")
        ),
        "features/index.html": page("features/index.html", "Features", a("/pricing/", "Pricing")),
        "pricing/index.html": page(
            "pricing/index.html", "Pricing", a("http://localhost:4000/demo", "Book a demo")
        ),
        "demo.html": page("demo.html", "Book a demo"),
        "about.html": page("about.html", "About us"),
    }
    stages = {
        "": "awareness",
        "blog/": "awareness",
        "blog/guide.html": "awareness",
        "blog/checklist.html": "awareness",
        "features/": "consideration",
        "pricing/": "decision",
        "demo.html": "conversion",
        "about.html": "excluded",
    }
    return write_site(root, pages, stages)


# -- folder audits through the CLI -----------------------------------------------------------
def test_live_host_base_href_localhost_and_pretty_links_reach_the_folder_pages(
    tmp_path: Path, model
) -> None:  # noqa: ANN001
    labels = staging_export(tmp_path / "acme")
    code, data = run_audit(str(tmp_path / "acme"), tmp_path / "out", "--labels", str(labels))
    assert code == 0
    links = data["link_flow"]["links"]
    assert links["alias_hosts"] == ["www.acme.example"]
    assert links["internal_links"] > 40
    assert links["resolved_links"] == links["internal_links"]  # every spelling found its page
    assert not gaps(data, "orphan-pages")  # About is linked from the footer only: not an orphan
    flow = data["link_flow"]["stage_links"]
    assert flow["awareness"]["consideration"] == 1  # the guide -> /features
    assert flow["awareness"]["decision"] == 1  # the checklist -> /pricing.html
    assert flow["consideration"] == {"decision": 1}
    assert flow["decision"] == {"conversion": 1}  # localhost:4000/demo -> demo.html
    # the nav links every page to every stage; on in-body links half the awareness pages go on
    assert data["link_flow"]["onward_share"]["awareness"] == 0.5
    stranded = gaps(data, "stranded-awareness")
    assert len(stranded) == 1
    assert sorted(u.rsplit(".local", 1)[1] for u in stranded[0]["evidence_urls"]) == [
        "/",
        "/blog/",
        "/blog/guide.html",
    ]
    assert any("www.acme.example" in n and "within this site" in n for n in data["notes"])
    pages = {p["url"].rsplit(".local", 1)[1]: p for p in data["pages"]}
    home = pages["/"]
    assert "http://acme.local/about" not in home["body_links"]  # a footer link
    assert any(link.endswith("/blog/guide") for link in home["body_links"])


def test_without_the_mapping_the_export_would_be_all_orphans(tmp_path: Path, model) -> None:  # noqa: ANN001
    """The same pages analysed with no aliases and no pretty-URL lookup: what a folder audit
    reported before. Most links then lead nowhere, so orphans are withheld with a note."""
    labels = staging_export(tmp_path / "acme")
    code, data = run_audit(str(tmp_path / "acme"), tmp_path / "out", "--labels", str(labels))
    assert code == 0
    pages = [_result(p) for p in data["pages"]]
    naive = analyse_links(pages)
    assert len(next(g for g in naive.findings if g.kind == "orphan-pages").evidence_urls) == 7
    guarded = analyse_links(pages, guard_orphans=True, candidates={"www.acme.example", "localhost"})
    assert not [g for g in guarded.findings if g.kind == "orphan-pages"]
    assert guarded.stats["resolved_links"] < guarded.stats["internal_links"] / 2
    assert "orphan pages not reported" in guarded.notes[0]
    assert "--alias-host" in guarded.notes[0]


def _result(row: dict) -> PageResult:
    return PageResult(
        url=row["url"],
        status=row["status"],
        error=row["error"],
        depth=0,
        content_type="text/html",
        title=row["title"],
        word_count=100,
        stage=Stage(row["stage"]) if row["stage"] else None,
        confidence=1.0,
        reasons=(),
        needs_review=False,
        label_source="manual",
        links=tuple(row["links"]),
        body_links=tuple(row["body_links"]),
    )


def test_pages_linking_to_pages_missing_from_the_folder_report_no_orphans(
    tmp_path: Path, model
) -> None:  # noqa: ANN001
    """A partial export: most links go to pages that are not in the folder, so an orphan count
    would be an artefact; a note says why there is none."""
    nav = "".join(a(f"/products/item-{i}", f"Item {i}") for i in range(12))
    pages = {
        "index.html": html("Home", a("/guide"), nav=nav),
        "guide.html": html("Guide", a("/products/item-1"), nav=nav),
        "lonely.html": html("Lonely", nav=nav),
    }
    labels = write_site(
        tmp_path / "partial",
        pages,
        {"": "awareness", "guide.html": "awareness", "lonely.html": "consideration"},
    )
    code, data = run_audit(str(tmp_path / "partial"), tmp_path / "out", "--labels", str(labels))
    assert code == 0
    assert not gaps(data, "orphan-pages")
    assert any(n.startswith("orphan pages not reported: 36 of 37 links") for n in data["notes"])


def test_a_page_only_in_the_nav_is_no_orphan_but_gives_no_flow(tmp_path: Path, model) -> None:  # noqa: ANN001
    nav = a("/", "Home") + a("/pricing", "Pricing") + a("/signup", "Sign up")
    pages = {
        "index.html": html("Home", a("/guide", "Guide"), nav=nav),
        "guide.html": html("Guide", "", nav=nav),
        "pricing.html": html("Pricing", a("/signup", "Sign up"), nav=nav),
        "signup.html": html("Sign up", "", nav=nav),
        "hidden.html": html("Hidden", "", nav=nav),
    }
    labels = write_site(
        tmp_path / "navsite",
        pages,
        {
            "": "awareness",
            "guide.html": "awareness",
            "pricing.html": "decision",
            "signup.html": "conversion",
            "hidden.html": "consideration",
        },
    )
    code, data = run_audit(str(tmp_path / "navsite"), tmp_path / "out", "--labels", str(labels))
    assert code == 0
    orphans = gaps(data, "orphan-pages")
    assert [g["evidence_urls"] for g in orphans] == [["http://navsite.local/hidden.html"]]
    assert data["link_flow"]["onward_share"]["awareness"] == 0.0
    assert data["link_flow"]["onward_share"]["decision"] == 1.0
    assert len(gaps(data, "stranded-awareness")[0]["evidence_urls"]) == 2


def test_links_on_most_pages_are_navigation_even_in_plain_markup(
    tmp_path: Path,
    model,  # noqa: ANN001
) -> None:
    """No <nav>, no hints: a row of links every page repeats sits in the body markup, but it is
    the site's template, so it gives no funnel flow."""
    row = (
        '<div class="links">'
        + a("/", "Home")
        + a("/pricing", "Pricing")
        + a("/demo", "Demo")
        + "</div>"
    )

    def page(title: str, body: str = "") -> str:
        return f"<html><head><title>{title}</title></head><body>{row}<p>{TEXT}</p>{body}</body>"

    pages = {f"guide-{i}.html": page(f"Guide {i}") for i in range(5)}
    pages |= {
        "index.html": page("Home", a("/guide-0", "Start here")),
        "pricing.html": page("Pricing", a("/demo", "Book a demo")),
        "demo.html": page("Demo"),
    }
    stages = {f"guide-{i}.html": "awareness" for i in range(5)}
    stages |= {"": "awareness", "pricing.html": "decision", "demo.html": "conversion"}
    labels = write_site(tmp_path / "plain", pages, stages)
    code, data = run_audit(str(tmp_path / "plain"), tmp_path / "out", "--labels", str(labels))
    assert code == 0
    assert data["link_flow"]["links"]["site_wide_targets"] == 3  # home, pricing, demo
    assert data["link_flow"]["onward_share"]["awareness"] == 0.0
    # the pricing page's own link to the demo is in the row as well: it counts as template
    assert data["link_flow"]["stage_links"]["decision"] == {}
    assert len(gaps(data, "stranded-awareness")[0]["evidence_urls"]) == 6
    # orphans count every link: the guides nothing links to, not the pages in the row
    orphans = gaps(data, "orphan-pages")[0]["evidence_urls"]
    assert sorted(u.rsplit("/", 1)[1] for u in orphans) == [f"guide-{i}.html" for i in (1, 2, 3, 4)]


def test_alias_host_option_maps_another_host_in_a_folder(tmp_path: Path, model) -> None:  # noqa: ANN001
    pages = {
        "index.html": html("Home", a("https://shop.acme.example/cart/", "Cart")),
        "cart/index.html": html("Cart", a("/", "Home")),
    }
    labels = write_site(tmp_path / "shop", pages, {"": "decision", "cart/": "conversion"})
    code, plain = run_audit(str(tmp_path / "shop"), tmp_path / "o1", "--labels", str(labels))
    assert code == 0
    assert plain["link_flow"]["stage_links"]["decision"] == {}
    code, data = run_audit(
        str(tmp_path / "shop"),
        tmp_path / "o2",
        "--labels",
        str(labels),
        "--alias-host",
        "shop.acme.example",
    )
    assert code == 0
    assert data["link_flow"]["stage_links"]["decision"] == {"conversion": 1}
    assert data["link_flow"]["links"]["alias_hosts"] == ["shop.acme.example"]
    assert data["settings"]["alias_hosts"] == ["shop.acme.example"]


def test_a_bad_alias_host_is_one_line_and_exit_6(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "index.html").write_text(html("Home"), encoding="utf-8")
    code = main(
        [
            "audit",
            str(tmp_path / "s"),
            "--out",
            str(tmp_path / "o"),
            "--no-history",
            "--quiet",
            "--alias-host",
            "http://exa mple.com",
        ]
    )
    assert code == InputError.exit_code
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "--alias-host" in err


# -- robots.txt ------------------------------------------------------------------------------
def test_a_folder_whose_robots_txt_disallows_everything_stops_with_exit_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], model
) -> None:  # noqa: ANN001
    site = tmp_path / "staging"
    labels = write_site(
        site,
        {"index.html": html("Home", a("/about")), "about.html": html("About", a("/"))},
        {"": "awareness", "about.html": "excluded"},
    )
    (site / "robots.txt").write_text("User-agent: *\nDisallow: /\n", encoding="utf-8")
    code = main(["audit", str(site), "--out", str(tmp_path / "o"), "--no-history", "--quiet"])
    assert code == 3
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert "\n" not in err and "robots.txt" in err and "--ignore-robots" in err
    assert not (tmp_path / "o" / "report.html").exists()
    code, data = run_audit(str(site), tmp_path / "o2", "--ignore-robots", "--labels", str(labels))
    assert code == 0
    assert len(data["pages"]) == 2 and all(p["error"] is None for p in data["pages"])


def test_a_folder_partly_blocked_by_robots_says_so(tmp_path: Path, model) -> None:  # noqa: ANN001
    site = tmp_path / "part"
    labels = write_site(
        site,
        {"index.html": html("Home", a("/private/a")), "private/a.html": html("A", a("/"))},
        {"": "awareness", "private/a.html": "awareness"},
    )
    (site / "robots.txt").write_text("User-agent: *\nDisallow: /private/\n", encoding="utf-8")
    code, data = run_audit(str(site), tmp_path / "o", "--labels", str(labels))
    assert code == 0
    assert any(
        n.startswith("1 page(s) not read: blocked by robots.txt") and "--ignore-robots" in n
        for n in data["notes"]
    )


def test_robots_txt_blocking_the_start_page_over_http_is_exit_3(
    site: SiteServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site.add("/robots.txt", "User-agent: *\nDisallow: /\n", content_type="text/plain")
    site.add("/", html("Home"))
    code = main(["audit", site.url("/"), "--out", str(tmp_path / "o"), "--no-history", "--quiet"])
    assert code == 3
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "blocked by robots.txt" in err and "--ignore-robots" in err


# -- over HTTP -------------------------------------------------------------------------------
def _http_site(site: SiteServer, tmp_path: Path) -> Path:
    """Every page's nav links every stage; in-body links are few. The blog post links a page
    by its absolute address on the live host, which only --alias-host lets the crawl follow."""
    nav = (
        a("/", "Home")
        + a("/features", "Features")
        + a("/pricing", "Pricing")
        + a("/demo", "Book a demo")
    )
    site.add("/", html("Home", a("/blog/a", "Our guide"), nav=nav))
    site.add("/blog/a", html("Guide", a("https://www.client.example/compare", "Compare"), nav=nav))
    site.add("/features", html("Features", "", nav=nav))
    site.add("/compare", html("Compare", a("/pricing", "Pricing"), nav=nav))
    site.add("/pricing", html("Pricing", a("/demo", "Book a demo"), nav=nav))
    site.add("/demo", html("Book a demo", "", nav=nav))
    labels = tmp_path / "labels.csv"
    stages = {
        "/": "awareness",
        "/blog/a": "awareness",
        "/features": "consideration",
        "/compare": "consideration",
        "/pricing": "decision",
        "/demo": "conversion",
    }
    labels.write_text(
        "url,stage\n" + "".join(f"{site.url(p)},{s}\n" for p, s in stages.items()), encoding="utf-8"
    )
    return labels


def test_over_http_nav_links_do_not_make_every_stage_link_onward(
    site: SiteServer, tmp_path: Path, model
) -> None:  # noqa: ANN001
    labels = _http_site(site, tmp_path)
    code, data = run_audit(site.url("/"), tmp_path / "o", "--labels", str(labels))
    assert code == 0
    paths = {p["url"].split(str(site.port), 1)[1] for p in data["pages"]}
    assert "/compare" not in paths  # linked only on the live host: not crawled
    onward = data["link_flow"]["onward_share"]
    assert onward == {"awareness": 0.0, "consideration": 0.0, "decision": 1.0, "conversion": 0.0}
    assert len(gaps(data, "stranded-awareness")[0]["evidence_urls"]) == 2

    code, data = run_audit(
        site.url("/"),
        tmp_path / "o2",
        "--labels",
        str(labels),
        "--alias-host",
        "www.client.example",
    )
    assert code == 0
    paths = {p["url"].split(str(site.port), 1)[1] for p in data["pages"]}
    assert "/compare" in paths
    onward = data["link_flow"]["onward_share"]
    assert onward["awareness"] == 0.5 and onward["consideration"] == 0.5
    assert data["link_flow"]["stage_links"]["awareness"] == {"awareness": 1, "consideration": 1}
    assert data["link_flow"]["links"]["alias_hosts"] == ["www.client.example"]
    assert not gaps(data, "orphan-pages")


# -- history and re-rendering keep body links -------------------------------------------------
def test_body_links_survive_history_and_an_old_database_upgrades(db: str) -> None:
    # a history as version 3 left it, with one page (on SQLite and on PostgreSQL)
    dialect = POSTGRES if db.startswith("postgresql://") else SQLITE
    run_sql(db, "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT)")
    for number in (1, 2, 3):
        for statement in statements(number, dialect):
            run_sql(db, statement)
        run_sql(db, f"INSERT INTO schema_migrations VALUES ({number}, 'then')")
    run_sql(
        db,
        "INSERT INTO audits (site, target, started_at, status, settings, model_version) "
        "VALUES ('s', 't', 'then', 'complete', '{}', 'v')",
    )
    run_sql(
        db, "INSERT INTO pages (audit_id, url, links) VALUES (1, 'http://s/', '[\"http://s/a\"]')"
    )
    with open_store(db) as store:
        assert store.schema_version() == len(MIGRATIONS) >= 4
        old = store.page_results(1)[0][0]
        assert old.links == ("http://s/a",) and old.body_links is None
        page = PageResult(
            url="http://s/b",
            status=200,
            error=None,
            depth=1,
            content_type="text/html",
            title="B",
            word_count=10,
            stage=Stage.AWARENESS,
            confidence=0.9,
            reasons=(),
            needs_review=False,
            label_source="model",
            links=("http://s/a", "http://s/c"),
            body_links=("http://s/c",),
        )
        store.add_pages(1, [page])
        loaded = {p.url: p for p, _ in store.page_results(1)}
    assert loaded["http://s/b"].body_links == ("http://s/c",)
    assert loaded["http://s/b"] == page


def test_report_rerenders_an_audit_with_body_links(tmp_path: Path, model) -> None:  # noqa: ANN001
    labels = staging_export(tmp_path / "acme")
    out = tmp_path / "out"
    code, data = run_audit(str(tmp_path / "acme"), out, "--labels", str(labels))
    assert code == 0
    again = tmp_path / "again"
    assert main(["report", str(out / "audit.json"), "--out", str(again)]) == 0
    rerendered = json.loads((again / "audit.json").read_text(encoding="utf-8"))
    assert rerendered["pages"] == data["pages"]
    assert rerendered["link_flow"] == data["link_flow"]


# -- the pieces ------------------------------------------------------------------------------
def _page(url: str, html_text: str) -> FetchedPage:
    return FetchedPage(
        url=url,
        final_url=url,
        status=200,
        content_type="text/html",
        html=html_text,
        depth=0,
        fetched_at=datetime.now(UTC),
    )


def test_extract_tells_body_links_from_navigation() -> None:
    words = "word " * 40
    doc = (
        '<html><head><base href="https://live.example/"><meta property="og:url" '
        'content="/x/"></head><body>'
        '<div class="site-header"><a href="/h">h</a></div><nav><a href="/n">n</a></nav>'
        '<div id="sidebar"><a href="/s">s</a></div><aside><a href="/as">as</a></aside>'
        f'<main><p>{words}<a href="/in">in</a> <a href="/n">n again</a></p>'
        '<div class="card"><div class="card-footer"><a href="/cta">cta</a></div></div>'
        '<header><a href="/hero">hero</a></header></main>'
        '<div><a href="/after-main">x</a></div><footer><a href="/f">f</a></footer></body></html>'
    )
    text = extract(_page("http://s.local/x.html", doc))
    body = {u.rsplit("/", 1)[1] for u in text.body_links}
    assert body == {"in", "n", "cta", "hero"}
    assert len(text.links) == 9
    assert text.base_href == "https://live.example/"
    assert text.og_url == "https://live.example/x/"
    no_main = (
        '<html><body><div class="menu"><a href="/m">m</a></div><p>'
        '<a href="/p">p</a></p><div id="footer"><a href="/f">f</a></div></body></html>'
    )
    assert extract(_page("http://s.local/", no_main)).body_links == ("http://s.local/p",)


@pytest.mark.parametrize(
    "shape",
    [
        # a page builder's header wrapping the whole page, <main> included
        "<header class='site-header'><a class='logo' href='/'>Logo</a><nav>{nav}</nav>"
        "<main id='content'><h1>Boilers</h1><p>{words} {body}</p></main></header>{footer}",
        # a hinted wrapper holding role=main
        "<div class='site-header header-wrap'><nav>{nav}</nav><div role='main'><h1>Pumps</h1>"
        "<p>{words} {body}</p></div></div>{footer}",
        # a footer inside <main> is the article's own
        "<nav>{nav}</nav><main><p>{words}</p><footer>{body}</footer></main>{footer}",
    ],
)
def test_chrome_that_wraps_the_content_does_not_swallow_body_links(shape: str) -> None:
    doc = (
        "<html><body>"
        + shape.format(
            nav=a("/n", "Nav"),
            words="word " * 40,
            body=a("/in", "In the body"),
            footer="<footer>" + a("/f", "Footer") + "</footer>",
        )
        + "</body></html>"
    )
    assert extract(_page("http://s.local/", doc)).body_links == ("http://s.local/in",)


FOLDER_PAGES = [
    "http://acme.local/",
    "http://acme.local/pricing.html",
    "http://acme.local/features/",
    "http://acme.local/about/index.html",
    "http://acme.local/about.html",
    "http://acme.local/blog/post.htm",
]


@pytest.mark.parametrize(
    ("link", "page"),
    [
        ("http://acme.local/pricing", "/pricing.html"),
        ("http://acme.local/pricing/", "/pricing.html"),
        ("http://acme.local/pricing?plan=pro#top", "/pricing.html"),
        ("https://www.acme.example/pricing/", "/pricing.html"),
        ("http://localhost:4000/pricing", "/pricing.html"),
        ("http://127.0.0.1:8080/features.html", "/features"),
        ("http://acme.local/features/index.html", "/features"),
        ("http://acme.local/about", "/about"),  # the directory index wins over about.html
        ("http://acme.local/about.html", "/about.html"),
        ("http://acme.local/blog/post", "/blog/post.htm"),
        ("http://acme.local/index.html", "/"),
        ("https://www.acme.example", "/"),
        ("https://live.example/shop/pricing", "/pricing.html"),  # an alias with a path prefix
    ],
)
def test_folder_link_mapping(link: str, page: str) -> None:
    mapper = LinkMapper(
        FOLDER_PAGES,
        "http://acme.local",
        [
            Alias("www.acme.example"),
            Alias("live.example", "/shop"),
            *(Alias(h) for h in LOCAL_HOSTS),
        ],
        folder=True,
    )
    assert mapper.key(link) == "http://acme.local" + page


@pytest.mark.parametrize(
    "link",
    [
        "http://acme.local/contact",
        "https://other.example/pricing",
        "https://live.example/pricing",
        "mailto:x@acme.example",
        "http://[oops/x",
        "http://acme.local/brochure.pdf",
    ],
)
def test_links_that_map_to_no_page(link: str) -> None:
    mapper = LinkMapper(
        FOLDER_PAGES, "http://acme.local", [Alias("live.example", "/shop")], folder=True
    )
    assert mapper.key(link) is None
    assert mapper.internal(link) is (link == "http://acme.local/contact")


def test_pretty_urls_are_for_folders_only() -> None:
    mapper = LinkMapper(["https://s.example/pricing.html"], "https://s.example")
    assert mapper.key("https://s.example/pricing") is None
    assert mapper.key("https://s.example/pricing.html") == "https://s.example/pricing.html"


def test_only_a_host_most_pages_name_becomes_an_alias() -> None:
    claims = HostClaims()
    for i in range(6):
        canonical = f"https://partner.example/story-{i}" if i == 0 else f"{LIVE}/p{i}"
        claims.add(f"http://acme.local/p{i}.html", canonical, None, None)
    assert claims.aliases() == [Alias("www.acme.example")]
    few = HostClaims()
    for i in range(4):
        few.add(
            f"http://acme.local/p{i}.html",
            "https://partner.example/x" if i < 2 else None,
            None,
            None,
        )
    assert few.aliases() == []  # half is not most
    sub = HostClaims()
    sub.add("http://acme.local/pricing.html", "https://me.github.io/acme/pricing/", None, None)
    sub.add("http://acme.local/", "https://me.github.io/acme/", None, None)
    assert sub.aliases() == [Alias("me.github.io", "/acme")]


def test_site_aliases_add_www_twins_and_localhost_for_folders() -> None:
    claims = HostClaims()
    claims.add("http://acme.local/", f"{LIVE}/", None, None)
    everything, detected = site_aliases("http://acme.local", claims, folder=True)
    assert detected == [Alias("www.acme.example")]
    hosts = {a.host for a in everything}
    assert {"www.acme.example", "acme.example", "localhost", "127.0.0.1"} <= hosts
    over_http, _ = site_aliases("https://acme.example", None)
    assert {a.host for a in over_http} == {"www.acme.example"}


@pytest.mark.parametrize("text", ["", "exa mple.com", "ftp://x.example", "http://", "a..b"])
def test_parse_alias_refuses_what_is_no_host(text: str) -> None:
    with pytest.raises(InputError, match="--alias-host"):
        parse_alias(text)


def test_parse_alias_reads_hosts_ports_and_prefixes() -> None:
    assert parse_alias("WWW.Client.com") == Alias("www.client.com")
    assert parse_alias("client.com:8443") == Alias("client.com")
    assert parse_alias("https://client.com/shop/") == Alias("client.com", "/shop")


_SEGMENTS = st.sampled_from(
    [
        "",
        ".",
        "..",
        "index.html",
        "index.htm",
        "index",
        "x.html",
        "x.html.html",
        "..html",
        "a b",
        "%2E",
        "%2e%2E",
        "pricing",
        "Ü",
        "?q=1",
        "#f",
        ";jsessionid=1",
        "x.HTM",
        "acme",
    ]
)
_HOSTS = st.sampled_from(
    [
        "acme.local",
        "www.acme.example",
        "acme.example",
        "localhost:4000",
        "127.0.0.1",
        "[::1]:80",
        "live.example",
        "other.example",
        "[oops",
        "",
        "user@acme.local",
        "ACME.local.",
    ]
)


@st.composite
def _urls(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["http://", "https://", "HTTP://", "", "mailto:", "//"]))
    path = "/".join(draw(st.lists(_SEGMENTS, max_size=6)))
    query = draw(st.sampled_from(["", "?utm_source=x", "?b=2&a=1", "?"]))
    return scheme + draw(_HOSTS) + "/" + path + query


_ALIASES = st.lists(
    st.builds(
        Alias,
        st.sampled_from(["www.acme.example", "acme.local", "localhost", "live.example", ""]),
        st.sampled_from(["", "/shop", "/a/b"]),
    ),
    max_size=4,
)


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(_urls(), st.text(max_size=60)),
    st.sampled_from(["http://acme.local", "https://acme.example", "http://127.0.0.1:8000"]),
    _ALIASES,
    st.booleans(),
)
def test_link_key_never_raises_and_is_idempotent(
    url: str, origin: str, aliases: list[Alias], folder: bool
) -> None:
    key = link_key(url, origin, aliases, folder=folder)
    assert link_key(key, origin, aliases, folder=folder) == key
    mapper = LinkMapper(FOLDER_PAGES, origin, aliases, folder=folder)
    found = mapper.key(url)
    assert found is None or found in mapper.exact.values()
    mapper.internal(url)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(
        [
            "pricing",
            "pricing/",
            "pricing.html",
            "pricing/index.html",
            "pricing/index",
            "pricing?plan=1",
            "pricing.htm",
        ]
    ),
    st.sampled_from(["http://acme.local/", "https://www.acme.example/", "http://localhost:4000/"]),
)
def test_every_spelling_of_a_folder_page_has_one_key(spelling: str, base: str) -> None:
    aliases = [Alias("www.acme.example"), Alias("localhost")]
    assert (
        link_key(base + spelling, "http://acme.local", aliases, folder=True)
        == "http://acme.local/pricing"
    )
