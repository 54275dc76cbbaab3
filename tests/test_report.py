"""The HTML report: a real render of a real audit, self-contained and safe with hostile sites."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

from bs4 import BeautifulSoup

from funnel_audit.cli.main import main
from tests.conftest import SAMPLES
from tests.servers import SiteServer

PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def _assert_self_contained(soup: BeautifulSoup) -> None:
    csp = soup.find("meta", attrs={"http-equiv": "Content-Security-Policy"})
    assert csp is not None and "default-src 'none'" in csp["content"]
    policy = dict((d.strip().split(" ", 1) + [""])[:2] for d in csp["content"].split(";"))
    scripts = soup.find_all("script")
    assert "unsafe-inline" not in policy["script-src"]
    hashes = {
        f"'sha256-{base64.b64encode(hashlib.sha256(s.string.encode()).digest()).decode()}'"
        for s in scripts
    }
    assert set(policy["script-src"].split()) == hashes, "CSP allows exactly the inline script"
    for tag in soup.find_all(src=True):
        assert tag["src"].startswith("data:"), tag
    assert not soup.find("link", rel="stylesheet")
    assert not soup.find("iframe")


def test_sample_report_sections_and_self_contained(tmp_path: Path, model) -> None:  # noqa: ANN001
    out = tmp_path / "o"
    assert (
        main(
            [
                "audit",
                str(SAMPLES / "harbourline-plumbing"),
                "--out",
                str(out),
                "--quiet",
                "--no-history",
                "--client-name",
                "Harbourline & Co",
                "--agency-name",
                "North Star <Agency>",
            ]
        )
        == 0
    )
    soup = _soup(out / "report.html")
    _assert_self_contained(soup)
    headings = [h.get_text(strip=True) for h in soup.find_all("h2")]
    for section in (
        "Executive summary",
        "Stage mix against target",
        "Gaps",
        "Topics by stage",
        "Funnel link flow",
        "Content calendar",
        "Pages per stage",
        "Pages to review",
        "Methodology",
    ):
        assert section in headings
    assert soup.find("h1").get_text() == "Harbourline & Co"
    assert "North Star <Agency>" in soup.get_text()
    for chart in (soup.select_one("#mix .bars"), soup.select_one("#flow .flow")):
        assert chart["role"] == "img" and "awareness" in chart["aria-label"], "charts have a text"
    assert "awareness" in soup.find(id="summary").get_text()
    assert (out / "report.html").stat().st_size < 2_000_000
    _assert_quality_in_mix(soup, out)


def _assert_quality_in_mix(soup: BeautifulSoup, out: Path) -> None:
    """Thin/stale/near-duplicate counts per stage reach both the mix table and audit.json."""
    table = soup.find(id="mix").find("table")
    header = [th.get_text(" ", strip=True) for th in table.find("thead").find_all("th")]
    assert any(h.startswith("Thin") for h in header) and any(h.startswith("Stale") for h in header)
    rows = {
        tr.find("th").get_text(strip=True): [
            td.get_text(" ", strip=True) for td in tr.find_all("td")
        ]
        for tr in table.find("tbody").find_all("tr")
    }
    stale_col = header.index(next(h for h in header if h.startswith("Stale"))) - 1
    quality = {q["stage"]: q for q in json.loads((out / "audit.json").read_text())["quality"]}
    # harbourline's two advice articles carry 2022 sitemap dates: stale against the audit date
    assert quality["awareness"]["stale"] == 2 and quality["awareness"]["dated"] >= 2
    assert rows["awareness"][stale_col].startswith(f"2 of {quality['awareness']['dated']} dated")
    assert set(quality) == {"awareness", "consideration", "decision", "conversion"}


def test_hostile_site_strings_never_become_markup(tmp_path: Path, site: SiteServer, model) -> None:  # noqa: ANN001
    evil_link = "javascript:alert(document.cookie)"
    site.add(
        "/",
        f"<html><head><title>{PAYLOAD} Home</title></head><body><main>"
        f"<h1>{PAYLOAD}</h1><p>We repair boilers and fit bathrooms in town.</p>"
        f"<a href='/p%22%3E%3Cscript%3Ealert(2)%3C/script%3E'>more</a>"
        f"<a href='{evil_link}'>click</a><a href='/pricing'>pricing</a>"
        "</main></body></html>",
    )
    site.add(
        "/pricing",
        f"<html><head><title>Prices {PAYLOAD}</title></head><body><main>"
        "<h1>Prices</h1><p>Boiler service $90. Repairs from $120.</p>"
        "</main></body></html>",
    )
    site.add('/p"><script>alert(2)</script>', "<html><title>x</title><p>hello</p></html>")
    out = tmp_path / "o"
    assert main(["audit", site.url("/"), "--out", str(out), "--quiet", "--no-history"]) == 0
    soup = _soup(out / "report.html")
    scripts = soup.find_all("script")
    assert len(scripts) == 1 and "alert" not in scripts[0].get_text()
    for tag in soup.find_all(True):
        assert not any(attr.lower().startswith("on") for attr in tag.attrs), tag
    for a in soup.find_all("a", href=True):
        assert a["href"].startswith(("http://", "https://", "#")), a["href"]
    assert PAYLOAD in soup.get_text(), "the payload is shown as text, escaped"
    _assert_self_contained(soup)
    csv_text = (out / "pages.csv").read_text(encoding="utf-8-sig")
    assert "<script>" in csv_text  # CSV keeps the text; it is data, not markup


def test_stage_colours_pass_wcag_aa_against_white_text() -> None:
    from funnel_audit.report.html import STAGE_COLOURS

    def luminance(hex_colour: str) -> float:
        channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    for stage, colour in STAGE_COLOURS.items():
        assert 1.05 / (luminance(colour) + 0.05) >= 4.5, stage


def test_the_report_never_shows_the_consultants_local_path(tmp_path: Path) -> None:
    """A folder audit's masthead names the site (the live host its pages claim, else the
    folder's name), not where the copy sits on the consultant's disk."""
    import shutil

    from funnel_audit.cli.main import main

    site = tmp_path / "clients" / "acme-private-notes" / "ledgerloop"
    shutil.copytree(SAMPLES / "ledgerloop", site)
    out = tmp_path / "out"
    assert main(["audit", str(site), "--out", str(out), "--no-history", "-q"]) == 0
    html = (out / "report.html").read_text(encoding="utf-8")
    assert str(tmp_path) not in html and "acme-private-notes" not in html
    assert "www.ledgerloop.example (from a copy of the site)" in html
