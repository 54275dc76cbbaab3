"""What a page's structured data declares it is, and what the site pass makes of it.

Product pages in shops read like ingredient science and event pages like seminars; their
schema.org markup says what they are for. Only top-level entities count, so a site-wide business
block with offers, or a listing of many products, declares nothing."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from funnel_audit.cli.main import main
from funnel_audit.read.declared import declared_kind, with_forms


def _doc(head: str, body: str = "") -> etree._Element:
    html = f"<html><head>{head}</head><body>{body}</body></html>"
    return etree.fromstring(html.encode(), etree.HTMLParser())


def _ld(data: object) -> str:
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


PRODUCT = {"@type": "Product", "name": "Day cream", "offers": {"@type": "Offer", "price": "39"}}


def test_a_single_product_with_a_price_is_a_product_page() -> None:
    assert declared_kind(_doc(_ld({"@context": "https://schema.org", **PRODUCT}))) == "product"
    assert declared_kind(_doc(_ld({"@graph": [{"@type": "WebPage"}, PRODUCT]}))) == "product"
    assert declared_kind(_doc(_ld([PRODUCT]))) == "product"


def test_products_without_a_price_or_listed_together_declare_nothing() -> None:
    # review-star markup on a service page, and a category page listing products
    assert declared_kind(_doc(_ld({"@type": "Product", "name": "Roof repair"}))) == ""
    assert declared_kind(_doc(_ld(PRODUCT) + _ld(PRODUCT))) == ""


def test_offers_nested_in_a_site_wide_business_block_are_not_a_product() -> None:
    business = {
        "@type": "LocalBusiness",
        "makesOffer": {"@type": "Offer", "itemOffered": PRODUCT},
    }
    assert declared_kind(_doc(_ld(business))) == ""


def test_microdata_open_graph_job_posts_and_articles() -> None:
    micro = (
        '<div itemscope itemtype="https://schema.org/Product"><h1 itemprop="name">Balm</h1>'
        '<div itemprop="offers" itemscope itemtype="https://schema.org/Offer">'
        '<span itemprop="price" content="19">$19</span></div></div>'
    )
    assert declared_kind(_doc("", micro)) == "product"
    assert declared_kind(_doc('<meta property="og:type" content="product">')) == "product"
    assert declared_kind(_doc(_ld({"@type": "JobPosting", "title": "Nurse"}))) == "job"
    assert declared_kind(_doc(_ld({"@type": "BlogPosting"}))) == "article"
    assert declared_kind(_doc('<meta property="og:type" content="website">')) == ""


def test_an_event_that_asks_for_contact_details_is_its_own_sign_up() -> None:
    assert with_forms("event", [("name", "email")]) == "event-signup"
    assert with_forms("event", [("search",)]) == "event"
    assert with_forms("article", [("email",)]) == "article"


@given(st.text(max_size=300))
def test_any_script_text_is_read_without_raising(raw: str) -> None:
    head = f'<script type="application/ld+json">{raw.replace("<", " ")}</script>'
    assert declared_kind(_doc(head)) in ("", "product", "job", "article", "event")


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=10),
        lambda kids: (
            st.lists(kids, max_size=4)
            | st.dictionaries(
                st.sampled_from(["@type", "@graph", "offers", "price"]), kids, max_size=4
            )
        ),
        max_leaves=20,
    )
)
def test_any_json_shape_is_read_without_raising(data: object) -> None:
    declared_kind(_doc(_ld(data)))


def _page(root: Path, rel: str, title: str, head: str, body: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"<!doctype html><html><head><title>{title} | Marrowby</title>{head}</head><body>"
        f"<nav><a href='/'>Home</a></nav><main><h1>{title}</h1>{body}</main></body></html>",
        encoding="utf-8",
    )


SCIENCE = (
    "<p>Tallow carries vitamins A, D, E and K in the same balance as our skin's own lipids. "
    "Research on stearic and oleic acids suggests they support the barrier that keeps moisture "
    "in, and many people with dry or irritated skin notice calmer patches within weeks. This "
    "explains why traditional cultures used rendered fat on chapped hands through winter.</p>"
)


def test_audit_reads_product_and_event_pages_by_their_structured_data(tmp_path: Path) -> None:
    site = tmp_path / "marrowby"
    for n, name in enumerate(["Day cream", "Night balm", "Eye serum"]):
        offer = {**PRODUCT, "name": name}
        _page(site, f"products/p{n}/index.html", name, _ld(offer), SCIENCE)
    event = {"@type": "Event", "name": "Winter skin workshop", "startDate": "2027-01-20"}
    form = (
        "<form action='/rsvp'><input name='name'><input type='email' name='email'>"
        "<button>Save my seat</button></form>"
    )
    _page(site, "workshop/index.html", "Winter skin workshop", _ld(event), SCIENCE + form)
    _page(site, "journal/why-tallow/index.html", "Why tallow", "", SCIENCE)
    out = tmp_path / "out"
    assert main(["audit", str(site), "--out", str(out), "--no-history", "--quiet"]) == 0
    with open(out / "pages.csv", encoding="utf-8-sig", newline="") as handle:
        rows = {r["url"].split("marrowby.local", 1)[-1]: r for r in csv.DictReader(handle)}
    for n in range(3):
        row = rows[f"/products/p{n}/"]
        assert row["stage"] == "decision", row
        assert row["reasons"].startswith("family: product page with its price")
    assert rows["/workshop/"]["stage"] == "conversion"
    assert rows["/workshop/"]["reasons"].startswith("family: event page with its sign-up form")
    assert not rows["/journal/why-tallow/"]["reasons"].startswith("family:")
    notes = json.loads((out / "audit.json").read_text(encoding="utf-8"))["notes"]
    assert any("product 3" in note and "event sign-up 1" in note for note in notes), notes
