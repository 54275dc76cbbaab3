"""The brand comes from the site itself (og:site_name, JSON-LD, title segments, the logo, the home
page's title), never from its host, port or IP address; --client-name wins over all of them."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from funnel_audit.cli.main import main
from funnel_audit.models import FetchedPage
from funnel_audit.plan.planner import CATALOGUE
from funnel_audit.plan.titles import clean_title
from funnel_audit.read.brand import (
    BrandVotes,
    clean_name,
    common_title_segment,
    find_brand,
    home_title_name,
    host_words,
    is_hostlike,
)
from funnel_audit.read.extract import extract

STAMP = datetime(2026, 11, 25, tzinfo=UTC)


def page(
    body: str = "",
    *,
    title: str = "A page",
    head: str = "",
    url: str = "https://shop.example/page.html",
) -> FetchedPage:
    html = (
        f"<!doctype html><html><head><title>{title}</title>{head}</head><body>{body}</body></html>"
    )
    return FetchedPage(
        url=url,
        final_url=url,
        status=200,
        content_type="text/html",
        html=html,
        depth=0,
        fetched_at=STAMP,
    )


def votes_of(*pages: FetchedPage) -> tuple[list[str], BrandVotes]:
    titles: list[str] = []
    votes = BrandVotes()
    for p in pages:
        text = extract(p)
        titles.append(text.title)
        votes.add(p.url, text.title, text.site_name, text.logo_alt)
    return titles, votes


# --- per page signals ---------------------------------------------------------------------------


def test_og_site_name_is_read_and_cleaned() -> None:
    text = extract(page(head='<meta property="og:site_name" content="  Rainbarrel\n Gardens ">'))
    assert text.site_name == "Rainbarrel Gardens"
    assert (
        extract(page(head='<meta property="og:site_name" content="shop.example">')).site_name == ""
    )


def test_json_ld_organization_name() -> None:
    ld = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebPage", "name": "Drip kits for raised beds"},
            {"@type": "WebSite", "name": "Rainbarrel Shop"},
            {
                "@type": ["Organization", "Thing"],
                "name": "Rainbarrel Gardens",
                "address": {"@type": "PostalAddress", "name": "Unit 4"},
            },
        ],
    }
    head = f'<script type="application/ld+json">{json.dumps(ld)}</script>'
    assert extract(page(head=head)).site_name == "Rainbarrel Gardens"
    only_site = {"@type": "WebSite", "name": "Rainbarrel Shop", "url": "https://shop.example/"}
    head = f'<script type="application/ld+json">{json.dumps(only_site)}</script>'
    assert extract(page(head=head)).site_name == "Rainbarrel Shop"
    local = {"@type": "Plumber", "name": "Harbourline Plumbing & Heating"}
    head = f'<script type="application/ld+json">{json.dumps(local)}</script>'
    assert extract(page(head=head)).site_name == "Harbourline Plumbing & Heating"
    broken = '<script type="application/ld+json">{"@type": "Organization", "name": </script>'
    assert extract(page(head=broken)).site_name == ""


def test_logo_alt_text() -> None:
    hinted = '<div><img class="site-logo" src="/img/x.svg" alt="Rainbarrel Gardens logo"></div>'
    assert extract(page(hinted)).logo_alt == "Rainbarrel Gardens"
    in_home_link = '<a href="/"><img src="/img/mark.svg" alt="Rainbarrel Gardens"></a>'
    assert extract(page(in_home_link)).logo_alt == "Rainbarrel Gardens"
    labelled = '<a href="/index.html" aria-label="Rainbarrel Gardens"><svg></svg></a>'
    assert extract(page(labelled)).logo_alt == "Rainbarrel Gardens"
    in_header = '<header><img src="/a.png" alt="Rainbarrel"></header>'
    assert extract(page(in_header)).logo_alt == "Rainbarrel"
    # the header's logo beats a customer's logo further down the page
    both = (
        '<header><a href="/"><img class="logo" src="/l.svg" alt="Rainbarrel"></a></header>'
        '<main><img class="client-logo" src="/logos/acme.png" alt="Acme Corp"></main>'
    )
    assert extract(page(both)).logo_alt == "Rainbarrel"
    # generic labels and hosts name nothing; a link elsewhere is no logo
    assert extract(page('<a href="/"><img src="/h.png" alt="Home"></a>')).logo_alt == ""
    assert extract(page('<img class="logo" src="/l.png" alt="127.0.0.1:8000">')).logo_alt == ""
    assert extract(page('<a href="/pricing.html" aria-label="Pricing">x</a>')).logo_alt == ""


def test_page_strings_are_bounded() -> None:
    huge = "Rainbarrel " * 5_000
    text = extract(
        page(
            f'<img class="logo" alt="{huge}">',
            head=f'<meta property="og:site_name" content="{huge}">',
        )
    )
    assert text.site_name == "" and text.logo_alt == ""


# --- the site's name from all pages -------------------------------------------------------------


def test_brand_from_og_site_name() -> None:
    pages = [
        page(
            head='<meta property="og:site_name" content="Rainbarrel Gardens">',
            title=f"Page {i}",
            url=f"https://shop.example/{i}.html",
        )
        for i in range(3)
    ]
    assert find_brand(*votes_of(*pages)) == "Rainbarrel Gardens"


def test_brand_from_the_common_title_suffix() -> None:
    titles = [
        "Drip kits | Rainbarrel",
        "Prices | Rainbarrel",
        "About us | Rainbarrel",
        "Water butts – Rainbarrel",
        "Blog",
    ]
    assert common_title_segment(titles) == "Rainbarrel"
    assert find_brand(titles) == "Rainbarrel"
    # one page's segment is no brand
    assert find_brand(["Drip kits | Rainbarrel", "Prices", "About us", "Blog", "Guides"]) == ""


def test_brand_from_logo_alt() -> None:
    pages = [
        page(
            '<header><a href="/"><img src="/l.svg" alt="Rainbarrel Gardens"></a></header>',
            title=f"Page {i}",
            url=f"https://shop.example/{i}.html",
        )
        for i in range(3)
    ]
    assert find_brand(*votes_of(*pages)) == "Rainbarrel Gardens"


def test_brand_from_json_ld() -> None:
    ld = '{"@type": "Organization", "name": "Rainbarrel Gardens"}'
    pages = [
        page(
            head=f'<script type="application/ld+json">{ld}</script>',
            title=f"Page {i}",
            url=f"https://shop.example/{i}.html",
        )
        for i in range(3)
    ]
    assert find_brand(*votes_of(*pages)) == "Rainbarrel Gardens"


def test_brand_from_the_home_page_title() -> None:
    assert home_title_name("Rainbarrel — Drip irrigation for every garden") == "Rainbarrel"
    assert home_title_name("Home | Rainbarrel Gardens") == "Rainbarrel Gardens"
    assert home_title_name("Welcome to Rainbarrel") == "Rainbarrel"
    assert home_title_name("Drip irrigation and water butts for every garden") == ""
    votes = BrandVotes()
    votes.add("https://shop.example/", "Rainbarrel — Drip irrigation for every garden")
    votes.add("https://shop.example/about.html", "About — who we are")
    assert (
        find_brand(["Rainbarrel — Drip irrigation for every garden", "About"], votes)
        == "Rainbarrel"
    )


def test_signals_that_agree_beat_a_stronger_one_alone() -> None:
    votes = BrandVotes()
    for i in range(3):
        votes.add(
            f"https://shop.example/{i}",
            f"Page {i} | Rainbarrel",
            site_name="Rainbarrel Shop" if i == 0 else "",
            logo_alt="Rainbarrel",
        )
    titles = [f"Page {i} | Rainbarrel" for i in range(3)]
    assert find_brand(titles, votes) == "Rainbarrel"


@pytest.mark.parametrize(
    "raw",
    [
        "127.0.0.1",
        "127.0.0.1:8080",
        "localhost:8000",
        "shop.example",
        "www.rainbarrel.co.uk",
        "https://rainbarrel.com/",
        "[::1]:80",
        "info@rainbarrel.com",
        "Home",
        "Logo",
        "",
        "   ",
        "404",
    ],
)
def test_never_a_host_address_or_generic_label(raw: str) -> None:
    assert clean_name(raw) == ""
    assert find_brand([f"Page {i} | {raw}" for i in range(4)]) == ""


def test_votes_are_bounded() -> None:
    votes = BrandVotes()
    for i in range(5_000):
        votes.add(
            f"https://shop.example/{i}",
            f"Page {i}",
            site_name=f"Name {i}",
            logo_alt=f"Logo text {i}",
        )
    assert len(votes.site_names) <= 200 and len(votes.logos) <= 200


def test_host_words() -> None:
    assert host_words("http://127.0.0.1:8080/x") == {"127", "0", "1"}
    assert host_words("https://www.acme-heating.co.uk/") == {"acme", "heating", "co", "uk"}


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_clean_name_never_gives_a_host_or_an_overlong_name(raw: str) -> None:
    name = clean_name(raw)
    assert name == "" or (
        not is_hostlike(name)
        and len(name) <= 60
        and name == name.strip()
        and len(name.split()) <= 6
    )


# --- through the CLI ----------------------------------------------------------------------------

POSTS = {
    "blog/watering-lawns.html": (
        "How to water a lawn in a dry summer",
        "Lawn watering",
        "lawn watering schedule grass roots evening sprinkler soil",
    ),
    "blog/drip-irrigation-basics.html": (
        "Drip irrigation basics for vegetable gardens",
        "Drip irrigation",
        "drip irrigation emitters tubing vegetables raised beds pressure",
    ),
    "blog/rainwater-harvesting.html": (
        "Rainwater harvesting for small gardens",
        "Rainwater harvesting",
        "rainwater harvesting butts gutters downpipe storage tank overflow",
    ),
    "blog/mulching.html": (
        "Mulching to keep soil moist",
        "Soil moisture",
        "mulch soil moisture bark compost evaporation beds",
    ),
    "guides/choosing-a-drip-kit.html": (
        "Choosing a drip irrigation kit: what to compare",
        "Drip irrigation kits compared",
        "compare drip irrigation kits emitters timers tubing options",
    ),
    "products/drip-kit.html": (
        "Drip irrigation kit for raised beds",
        "Drip irrigation kit",
        "drip irrigation kit raised beds timer tubing emitters included",
    ),
    "products/water-butts.html": (
        "Water butts and rainwater tanks",
        "Rainwater tanks",
        "rainwater tanks water butts litres stand tap diverter",
    ),
    "case-study.html": (
        "Case study: a community garden halves its water use",
        "Community garden case study",
        "community garden drip irrigation results water use halved volunteers",
    ),
    "prices.html": (
        "Prices and delivery",
        "Prices",
        "prices delivery kits tanks installation quote fixed price",
    ),
}


def _write_site(root: Path, head: str = "", header: str = "", suffix: str = "") -> Path:
    """A small garden-watering site; `head`, `header` and `suffix` carry its brand, if any."""
    root.mkdir(parents=True, exist_ok=True)
    nav = "".join(f'<a href="/{path}">{title}</a> ' for path, (title, _, _) in POSTS.items())

    def write(path: str, title: str, heading: str, body: str, extra: str = "") -> None:
        words = (body + " ") * 12
        html = (
            f"<!doctype html><html><head><title>{title}{suffix}</title>{head}</head><body>"
            f"<header>{header}<nav>{nav}</nav></header><main><h1>{heading}</h1>"
            f"<p>{words}</p><h2>{heading} in practice</h2><p>{words}</p>{extra}</main>"
            "</body></html>"
        )
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(html, encoding="utf-8")

    write(
        "index.html",
        "Drip irrigation, water butts and garden watering for every home",
        "Garden watering made easy",
        "garden watering drip irrigation rainwater",
    )
    for path, (title, heading, body) in POSTS.items():
        write(path, title, heading, body)
    form = (
        '<form action="/thanks.html" method="post"><input type="email" name="email">'
        '<input type="tel" name="phone"><textarea name="message"></textarea>'
        '<button type="submit">Request a survey</button></form>'
    )
    write(
        "survey.html",
        "Request a garden survey",
        "Request a garden survey",
        "survey visit garden irrigation plan quote",
        form,
    )
    write("contact.html", "Contact us", "Contact us", "contact phone email address", form)
    return root


def _calendar_titles(out: Path) -> list[str]:
    with (out / "calendar.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows
    return [f"{r['Subject']} {r['Working Title']}" for r in rows]


def _audit(target: str, out: Path, *extra: str) -> list[str]:
    code = main(
        [
            "audit",
            target,
            "--out",
            str(out),
            "--no-history",
            "--quiet",
            "--start",
            "2026-12-07",
            *extra,
        ]
    )
    assert code == 0
    return _calendar_titles(out)


SITE_TEMPLATES = [t for fmts in CATALOGUE.values() for f in fmts for t in f.titles if "{site}" in t]


def test_cli_brand_from_og_site_name(tmp_path: Path, model) -> None:  # noqa: ANN001
    site = _write_site(
        tmp_path / "rainbarrel-site",
        head='<meta property="og:site_name" content="Rainbarrel Gardens">',
    )
    titles = _audit(str(site), tmp_path / "out")
    assert any("Rainbarrel Gardens" in t for t in titles)
    assert not any("Rainbarrel Site" in t or "rainbarrel-site" in t for t in titles)
    topics = json.loads((tmp_path / "out" / "audit.json").read_text(encoding="utf-8"))["topics"]
    assert topics and not any("rainbarrel" in name.lower() for name in topics)


def test_cli_brand_from_logo_and_title_suffix(tmp_path: Path, model) -> None:  # noqa: ANN001
    site = _write_site(
        tmp_path / "site",
        suffix=" | Rainbarrel",
        header='<a href="/"><img src="/mark.svg" alt="Rainbarrel"></a>',
    )
    titles = _audit(str(site), tmp_path / "out")
    assert any("Rainbarrel" in t for t in titles)


def test_cli_folder_without_brand_signals_uses_neutral_wording(tmp_path: Path, model) -> None:  # noqa: ANN001
    site = _write_site(tmp_path / "garden-watering")
    titles = _audit(str(site), tmp_path / "out")
    assert not any("Garden Watering" in t or "garden-watering" in t for t in titles)
    assert not any("our team" in t.lower() for t in titles)
    data = json.loads((tmp_path / "out" / "audit.json").read_text(encoding="utf-8"))
    assert all(clean_title(e["working_title"]) for e in data["calendar"])


def test_cli_site_on_127_0_0_1_never_names_the_address(
    serve_folder: Callable[[Path], str], tmp_path: Path, model
) -> None:  # noqa: ANN001
    base = serve_folder(_write_site(tmp_path / "site"))
    titles = _audit(base, tmp_path / "out")
    assert not any("127" in t or "localhost" in t.lower() for t in titles), titles
    topics = json.loads((tmp_path / "out" / "audit.json").read_text(encoding="utf-8"))["topics"]
    assert not any(ch.isdigit() for name in topics for ch in name)


def test_cli_client_name_wins(tmp_path: Path, model) -> None:  # noqa: ANN001
    site = _write_site(
        tmp_path / "site", head='<meta property="og:site_name" content="Rainbarrel Gardens">'
    )
    titles = _audit(str(site), tmp_path / "out", "--client-name", "Acme Water Ltd")
    assert any("Acme Water Ltd" in t for t in titles)
    assert not any("Rainbarrel" in t for t in titles)


def test_every_template_naming_the_site_has_an_unnamed_wording() -> None:
    assert SITE_TEMPLATES
    for fmt in (f for fmts in CATALOGUE.values() for f in fmts):
        for named in (True, False):
            for template in fmt.templates(named):
                assert named or "{site}" not in template
                title = template.format(
                    S="Drip irrigation",
                    s="drip irrigation",
                    site="Rainbarrel Gardens",
                    action="Request a quote",
                    noun="quote request",
                    year=2027,
                )
                assert clean_title(title), title


def test_report_and_calendar_are_titled_with_the_brand_not_the_folder(
    tmp_path: Path,
    model,  # noqa: ANN001
) -> None:
    site = _write_site(
        tmp_path / "rainbarrel-site",
        head='<meta property="og:site_name" content="Rainbarrel Gardens">',
    )
    out = tmp_path / "out"
    _audit(str(site), out)
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<h1>Rainbarrel Gardens</h1>" in html and "rainbarrel-site</h1>" not in html
    assert "X-WR-CALNAME:Content plan: Rainbarrel Gardens" in (out / "calendar.ics").read_text(
        encoding="utf-8"
    )
    assert json.loads((out / "audit.json").read_text(encoding="utf-8"))["brand"] == (
        "Rainbarrel Gardens"
    )
    # re-rendered from audit.json, the brand stays
    assert main(["report", str(out / "audit.json"), "--out", str(tmp_path / "again")]) == 0
    again = (tmp_path / "again" / "report.html").read_text(encoding="utf-8")
    assert "<h1>Rainbarrel Gardens</h1>" in again
