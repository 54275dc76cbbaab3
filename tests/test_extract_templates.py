"""Main-text extraction on the template shapes real sites use: a <main> wrapped in a <header>, a
short call-to-action <article> before the real body, listings of article cards, page wrappers with
nav-like classes, empty <main> elements. Each fixture is written here, in the shape of one template.
"""

from __future__ import annotations

import csv
import json
import re
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from funnel_audit.cli.main import main
from funnel_audit.models import FetchedPage, PageText
from funnel_audit.read.extract import extract

_SUBJECTS = (
    "The boiler",
    "A heat pump",
    "Our engineer",
    "The radiator",
    "A new cylinder",
    "The survey",
    "Each quotation",
    "The pipework",
    "A smart thermostat",
    "The flue",
)
_VERBS = (
    "warms",
    "checks",
    "protects",
    "balances",
    "explains",
    "measures",
    "replaces",
    "drains",
    "insulates",
    "records",
)
_OBJECTS = (
    "the water in every room",
    "pressure before winter arrives",
    "older copper joints",
    "the flow temperature carefully",
    "what each option will cost",
    "airflow around the unit",
    "worn valves and seals",
    "sludge from the system",
    "the loft tank and pipes",
    "readings for the warranty",
)


def _prose(words: int, seed: int = 0) -> str:
    """Plain sentences of about `words` words (never fewer), free of nav and footer words."""
    out: list[str] = []
    count, i = 0, seed
    while count < words:
        sentence = f"{_SUBJECTS[i % 10]} {_VERBS[(i // 10) % 10]} {_OBJECTS[(i // 100 + i) % 10]}."
        out.append(sentence)
        count += len(sentence.split())
        i += 1
    return " ".join(out)


def _paragraphs(words: int, per: int = 60, seed: int = 0) -> str:
    return "".join(f"<p>{_prose(per, seed + k * 7)}</p>" for k in range(max(1, words // per)))


def _words(fragment: str) -> int:
    """Words in an HTML fragment's text, counted as extract counts them."""
    return len(re.findall(r"[^\W\d_][\w'’-]*", re.sub(r"<[^>]*>", " ", fragment)))


NAV = (
    "<nav class='main-nav'><ul><li><a href='/'>Home</a></li><li><a href='/services/'>All "
    "services</a></li><li><a href='/about/'>About us</a></li><li><a href='/contact/'>Contact "
    "us</a></li></ul></nav>"
)
FOOTER = (
    "<footer><ul><li><a href='/privacy/'>Privacy policy</a></li><li><a href='/terms/'>Terms "
    "of business</a></li></ul><p>Copyright 2026 Quayside Heating Ltd, registered in England "
    "and Wales, company number 01234567, Unit 9 Harbour Road.</p></footer>"
)
COOKIE = (
    "<div class='cookie-consent' id='cookie-notice'><p>We use cookies to understand how "
    "visitors use this website and to remember your choices.</p><button>Accept all</button>"
    "<button>Reject</button></div>"
)
BOILERPLATE = (
    "Home",
    "All services",
    "About us",
    "Contact us",
    "Privacy policy",
    "Copyright",
    "We use cookies",
)


def _page(body: str, url: str = "https://quayside.example/services/boilers/") -> FetchedPage:
    html = (
        f"<!doctype html><html><head><title>Boilers | Quayside Heating</title></head>"
        f"<body>{body}</body></html>"
    )
    return FetchedPage(
        url=url,
        final_url=url,
        status=200,
        content_type="text/html",
        html=html,
        depth=1,
        fetched_at=datetime(2026, 11, 25, tzinfo=UTC),
    )


def _read(body: str) -> PageText:
    return extract(_page(body))


def _no_boilerplate(text: PageText) -> None:
    for phrase in BOILERPLATE:
        assert phrase not in text.main_text, phrase


# -- the template shapes -------------------------------------------------------------------------

MAIN_BODY = f"<h1>Boiler installation</h1>{_paragraphs(300)}"
MAIN_IN_HEADER = (
    "<header class='elementor-location-header site-header'><div class='logo'>Quayside Heating</div>"
    f"{NAV}<main id='content'>{MAIN_BODY}</main></header>{FOOTER}"
)


def test_main_inside_a_header_is_read_not_dropped() -> None:
    text = _read(MAIN_IN_HEADER)
    assert text.word_count == _words(MAIN_BODY) > 300
    assert text.headings[0] == "Boiler installation"
    assert _prose(20) in text.main_text
    _no_boilerplate(text)


def test_role_main_inside_a_header_hinted_div_is_read() -> None:
    content = f"<h1>Heat pumps</h1>{_paragraphs(240, seed=3)}"
    body = (
        f"<div class='site-header header-wrap'>{NAV}<div role='main'>{content}</div></div>{FOOTER}"
    )
    text = _read(body)
    assert text.word_count == _words(content) > 240
    _no_boilerplate(text)


CTA_THEN_BODY = (
    f"<header class='site-header'>{NAV}</header><div class='page-content'>"
    "<article class='cta-box'><h2>Get a free consultation</h2>"
    f"<p>{_prose(45, seed=50)} Call now on 01632 960 000.</p></article>"
    + "".join(
        f"<section><h2>Part {n}</h2>{_paragraphs(240, seed=n * 11)}</section>" for n in range(1, 6)
    )
    + f"</div>{FOOTER}"
)


def test_short_cta_article_does_not_hide_the_long_body() -> None:
    text = _read(CTA_THEN_BODY)
    assert text.word_count == _words(CTA_THEN_BODY) - _words(NAV) - _words(FOOTER) > 1200
    assert "Get a free consultation" in text.main_text  # the CTA is part of the page's body
    assert "Part 5" in text.headings
    _no_boilerplate(text)


def test_a_single_long_article_is_still_chosen_over_the_page() -> None:
    article = f"<h1>Frozen pipes</h1>{_paragraphs(600)}"
    body = (
        f"<header>{NAV}</header><div class='layout'><div class='promo'>"
        f"{_paragraphs(60, seed=90)}</div><article>{article}</article></div>{FOOTER}"
    )
    text = _read(body)
    assert text.word_count == _words(article)
    assert _prose(30, seed=90) not in text.main_text


def _cards(n: int) -> str:
    return "".join(
        f"<article class='post-card'><h2><a href='/blog/post-{k}/'>Post {k}</a></h2>"
        f"<p>{_prose(35, seed=k * 13)}</p></article>"
        for k in range(n)
    )


def test_blog_listing_reads_every_card() -> None:
    text = _read(
        f"<header>{NAV}</header><div class='listing'><h1>Advice</h1>{_cards(12)}</div>{FOOTER}"
    )
    assert text.word_count == 1 + _words(_cards(12)) > 12 * 35
    assert "Post 0" in text.main_text and "Post 11" in text.main_text
    _no_boilerplate(text)


def test_blog_listing_inside_main_reads_every_card() -> None:
    text = _read(f"<header>{NAV}</header><main><h1>Advice</h1>{_cards(12)}</main>{FOOTER}")
    assert text.word_count == 1 + _words(_cards(12))
    assert "Post 11" in text.main_text


WRAPPED = f"<h1>Landlord gas safety</h1>{_paragraphs(420, seed=5)}"
HINTED_WRAPPER = (
    f"<div class='site-wrapper has-navbar' id='page'>{COOKIE}<header class='site-header'>{NAV}"
    f"</header><div class='content-area'>{WRAPPED}</div>{FOOTER}</div>"
)


def test_nav_hinted_wrapper_does_not_swallow_the_page() -> None:
    text = _read(HINTED_WRAPPER)
    assert text.word_count == _words(WRAPPED) > 420
    assert text.headings == ("Landlord gas safety",)
    _no_boilerplate(text)


def test_nav_hinted_wrapper_without_a_heading_is_kept() -> None:
    body = (
        f"<div class='menu-push-container'>{NAV}<div class='copy'>{_paragraphs(360, seed=8)}"
        f"</div>{FOOTER}</div>"
    )
    text = _read(body)
    assert text.word_count == _words(_paragraphs(360, seed=8)) > 360
    _no_boilerplate(text)


EMPTY_MAIN = (
    f"<header>{NAV}</header><main><h1>Drain unblocking</h1></main><div class='body-copy'>"
    f"{_paragraphs(480, seed=21)}</div>{FOOTER}"
)


def test_nearly_empty_main_falls_back_to_the_body() -> None:
    text = _read(EMPTY_MAIN)
    assert text.word_count == 2 + _words(_paragraphs(480, seed=21))
    assert "Drain unblocking" in text.headings
    _no_boilerplate(text)


def test_the_largest_of_several_mains_is_read() -> None:
    second = f"<h1>Commercial work</h1>{_paragraphs(300, seed=2)}"
    body = (
        f"<header>{NAV}</header><main><p>Skip to the content below.</p></main>"
        f"<main>{second}</main>{FOOTER}"
    )
    text = _read(body)
    assert text.word_count == _words(second) and "Skip to" not in text.main_text
    _no_boilerplate(text)


ORDINARY_MAIN = f"<h1>Boiler repair</h1>{_paragraphs(180, seed=4)}"
ORDINARY = (
    f"{COOKIE}<header class='site-header'><a class='logo' href='/'>Quayside Heating</a>{NAV}"
    f"<a class='btn' href='/quote/'>Get a quote</a></header><main>{ORDINARY_MAIN}</main>"
    "<aside class='sidebar'><h2>Latest advice</h2><p>Read our guide to bleeding radiators.</p>"
    f"</aside>{FOOTER}"
)


def test_ordinary_template_still_drops_nav_header_footer_aside_and_cookies() -> None:
    text = _read(ORDINARY)
    assert text.word_count == _words(ORDINARY_MAIN)
    assert text.headings == ("Boiler repair",)
    assert "Latest advice" not in text.main_text and "Get a quote" not in text.main_text
    _no_boilerplate(text)


def test_cookie_banner_is_dropped_when_the_body_is_read() -> None:
    content = f"<h1>Prices</h1>{_paragraphs(120, seed=6)}"
    text = _read(f"{COOKIE}<div class='wrap'>{content}</div>{FOOTER}")
    assert text.word_count == _words(content)
    _no_boilerplate(text)


def test_fat_footer_on_a_thin_page_is_still_dropped() -> None:
    """A footer can hold most of a thin page's words; it is still chrome, not the page."""
    footer = (
        f"<footer class='site-footer'><div class='about'>{_paragraphs(240, seed=70)}</div>"
        "<p>Copyright 2026 Quayside Heating Ltd.</p></footer>"
    )
    body = (
        f"<header>{NAV}</header><div class='intro'><h1>Contact</h1><p>Ring or email us.</p></div>"
    )
    text = _read(body + footer)
    assert text.word_count < 10
    assert "Copyright" not in text.main_text


def test_mega_menu_on_a_thin_page_is_still_dropped() -> None:
    menu = (
        "<div class='mega-menu'>"
        + "".join(
            f"<h3>Column {c}</h3><ul>"
            + "".join(
                f"<li><a href='/s/{c}/{k}/'>{_prose(3, seed=c * 10 + k)}</a></li>"
                for k in range(10)
            )
            + "</ul>"
            for c in range(4)
        )
        + "</div>"
    )
    intro = "<p>Choose a time that suits you.</p>"
    assert _read(f"{menu}<div class='intro'><h1>Book</h1>{intro}</div>").word_count == 7
    # without an h1 only its links tell it from a wrapper
    assert _read(f"{menu}<div class='intro'>{intro}</div>").word_count == 6


def test_heading_in_an_article_header_is_kept() -> None:
    body = (
        f"<header class='site-header'>{NAV}</header><main><article>"
        "<header class='entry-header'><h1>Why is my boiler losing pressure?</h1></header>"
        f"{_paragraphs(240, seed=9)}"
        f"</article></main>{FOOTER}"
    )
    text = _read(body)
    assert text.headings[0] == "Why is my boiler losing pressure?"
    _no_boilerplate(text)


# -- never a crash --------------------------------------------------------------------------------

_TAGS = (
    "div",
    "main",
    "article",
    "section",
    "header",
    "footer",
    "nav",
    "aside",
    "p",
    "span",
    "h1",
    "h2",
    "ul",
    "li",
    "a",
    "script",
    "table",
    "td",
    "form",
)
_ATTRS = (
    "",
    " class='site-header'",
    " class='has-navbar wrapper'",
    " role='main'",
    " id='cookie-banner'",
    " class='menu'",
    " hidden",
    " class='post-card'",
)


@st.composite
def _tag_soup(draw: st.DrawFn, depth: int = 0) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 4 if depth < 4 else 0))):
        kind = draw(st.integers(0, 3))
        if kind == 0 or depth >= 4:
            parts.append(draw(st.text(max_size=40)))
        else:
            tag = draw(st.sampled_from(_TAGS))
            attr = draw(st.sampled_from(_ATTRS))
            inner = draw(_tag_soup(depth + 1))
            close = draw(st.sampled_from((f"</{tag}>", "", f"</{draw(st.sampled_from(_TAGS))}>")))
            parts.append(f"<{tag}{attr}>{inner}{close}")
    return "".join(parts)


@settings(max_examples=200, deadline=None)
@given(_tag_soup())
def test_never_raises_on_nested_tag_soup(soup: str) -> None:
    text = extract(_page(soup))
    assert text.word_count >= 0
    assert text.word_count == len(re.findall(r"[^\W\d_][\w'’-]*", text.main_text))


# -- through the CLI -------------------------------------------------------------------------------


def _site_page(title: str, seed: int) -> str:
    return (
        f"<!doctype html><html><head><title>{title} | Quayside Heating</title></head><body>"
        f"<header class='site-header page-builder'><div class='logo'>Quayside Heating</div>"
        f"{NAV.replace('/services/', 'services.html')}<main><h1>{title}</h1>"
        f"{_paragraphs(240, seed=seed)}<p><a href='index.html'>Back to the start</a></p>"
        f"</main></header>{FOOTER}</body></html>"
    )


def test_cli_audit_reads_main_inside_header_on_every_page(tmp_path: Path, model) -> None:  # noqa: ANN001
    site = tmp_path / "site"
    site.mkdir()
    for i, name in enumerate(("index", "services", "boilers", "heat-pumps", "contact")):
        (site / f"{name}.html").write_text(
            _site_page(name.replace("-", " ").title(), i * 17), encoding="utf-8"
        )
    out = tmp_path / "out"
    code = main(
        ["audit", str(site), "--out", str(out), "--no-history", "--quiet", "--start", "2026-12-07"]
    )
    assert code == 0
    with (out / "pages.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 5
    assert all(int(row["word_count"]) > 100 for row in rows), rows
    notes = json.loads((out / "audit.json").read_text(encoding="utf-8"))["notes"]
    assert not any("under 50 words" in note for note in notes)


def test_cli_audit_notes_a_site_whose_pages_yield_little_text(tmp_path: Path, model) -> None:  # noqa: ANN001
    site = tmp_path / "site"
    site.mkdir()
    for name in ("index", "services", "about", "contact"):
        (site / f"{name}.html").write_text(
            f"<html><head><title>{name}</title></head><body><header>{NAV}</header><div>"
            f"<a href='index.html'>Start</a> {name} page</div>{FOOTER}</body></html>",
            encoding="utf-8",
        )
    out = tmp_path / "out"
    assert main(["audit", str(site), "--out", str(out), "--no-history", "--quiet"]) == 0
    notes = json.loads((out / "audit.json").read_text(encoding="utf-8"))["notes"]
    assert any(note.startswith("4 of 4 pages yielded under 50 words") for note in notes), notes


def test_unparsable_base_canonical_and_form_addresses_do_not_break_the_page() -> None:
    from datetime import UTC, datetime

    from funnel_audit.models import FetchedPage
    from funnel_audit.read.extract import extract

    html = (
        "<html><head><base href='http://[oops/'><link rel='canonical' href='http://[bad/'>"
        "<title>Boilers</title></head><body><main><h1>Boilers</h1><p>"
        + "We fit and service boilers across the county. "
        * 10
        + "</p><form action='http://[x/'><input type='email' name='email'></form>"
        "</main></body></html>"
    )
    page = FetchedPage(
        url="https://q.example/boilers/",
        final_url="https://q.example/boilers/",
        status=200,
        content_type="text/html",
        html=html,
        depth=1,
        fetched_at=datetime.now(UTC),
    )
    text = extract(page)
    assert text.word_count > 50 and text.canonical is None
    assert text.forms and text.forms[0].field_kinds == ("email",)
