"""HTML extraction: boilerplate out, CTAs and form fields in, never a crash on broken markup."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from funnel_audit.models import FetchedPage
from funnel_audit.read.extract import extract

PAGE = """<!doctype html><html><head><title>Pricing | Acme</title>
<meta name="description" content="Plans for every team">
<meta name="robots" content="noindex, follow">
<link rel="canonical" href="/pricing/">
<script type="application/ld+json">{"@context": "https://schema.org", "@type": "Product",
 "offers": {"@type": "Offer", "price": "29"}}</script></head>
<body><header><nav><a href="/">Home</a><a href="/blog/">Blog</a></nav></header>
<div class="cookie-banner">We use cookies <button>Accept</button></div>
<main><h1>Simple pricing</h1><p>Starter is $29 per month. Pro is $99 per month.</p>
<h2>Questions</h2><p>Can I cancel any time? Yes.</p>
<a class="btn btn-primary" href="/signup">Start free trial</a>
<form action="/checkout" method="post"><input type="email" name="email">
<input name="card-number"><input type="tel" name="phone"><input type="number" name="qty">
<input type="hidden" name="csrf"><button type="submit">Buy now</button></form></main>
<footer><a href="/privacy">Privacy</a> Copyright Acme</footer></body></html>"""


def _page(html: str, url: str = "https://acme.example/pricing") -> FetchedPage:
    return FetchedPage(
        url=url,
        final_url=url,
        status=200,
        content_type="text/html",
        html=html,
        depth=1,
        fetched_at=datetime(2026, 11, 25, tzinfo=UTC),
    )


def test_extracts_structure_and_drops_boilerplate() -> None:
    text = extract(_page(PAGE))
    assert text.title == "Pricing | Acme"
    assert text.meta_description == "Plans for every team"
    assert text.headings == ("Simple pricing", "Questions")
    assert "We use cookies" not in text.main_text and "Copyright" not in text.main_text
    assert "Home" not in text.main_text
    assert "Start free trial" in text.ctas and "Buy now" in text.ctas
    assert "Accept" not in text.ctas
    assert text.forms[0].field_kinds == ("email", "card", "phone", "quantity")
    assert text.forms[0].action == "https://acme.example/checkout"
    assert text.canonical == "https://acme.example/pricing/"
    assert text.noindex
    assert "Product" in text.schema_types and "Offer" in text.schema_types
    assert text.prices >= 2
    assert "https://acme.example/blog/" in text.links
    assert "https://acme.example/privacy" in text.links


def test_javascript_shell_is_flagged() -> None:
    shell = "<html><body><div id='root'></div><script>" + "x=1;" * 8000 + "</script></body></html>"
    assert extract(_page(shell)).js_rendered
    assert not extract(_page(PAGE)).js_rendered


def test_absurd_nesting_and_huge_titles_are_bounded() -> None:
    deep = "<div>" * 20000 + "deep text" + "</div>" * 20000
    text = extract(_page(f"<title>{'T' * 50000}</title>{deep}"))
    assert len(text.title) <= 300


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=2000))
def test_never_raises_on_arbitrary_text(html: str) -> None:
    text = extract(_page(html))
    assert text.word_count >= 0
