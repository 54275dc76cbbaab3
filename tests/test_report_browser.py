"""The report in a real browser (headless Chromium): it loads offline with no console errors and
no network requests, its one script runs under the CSP hash, and site text never executes."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from funnel_audit.cli.main import main
from tests.browser import CHROMIUM, Browser
from tests.conftest import SAMPLES
from tests.servers import SiteServer

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"headless Chromium not installed at {CHROMIUM} "
        "(apt-get install chromium; .ci/run installs it)",
    ),
]

# Each payload, if it ever ran, would leave a trace the test looks for: a changed document.title,
# a console message, a window flag, or a network request.
RUN = "document.title='PWNED';window.__pwned=1;console.log('PWNED');fetch('http://evil.example/')"
PAYLOADS = (
    f"<script>{RUN}</script>",
    f'<img src=x onerror="{RUN}">',
    f'"><svg onload="{RUN}">',
    f"</title><script>{RUN}</script>",
    "{{ 7*7 }}{% raw %}",
    f"javascript:{RUN}",
)


def _keep_screenshot(shot: Path) -> None:
    """Also copy the screenshot where CI or a person can look at it, when asked to."""
    folder = os.environ.get("FUNNEL_AUDIT_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(folder) / shot.name)


def test_sample_report_loads_offline_cleanly(tmp_path: Path, model) -> None:  # noqa: ANN001
    out = tmp_path / "out"
    assert (
        main(
            [
                "audit",
                str(SAMPLES / "ledgerloop"),
                "--out",
                str(out),
                "--quiet",
                "--no-history",
                "--client-name",
                "Ledgerloop",
                "--agency-name",
                "North Star",
                "--start",
                "2026-12-07",
            ]
        )
        == 0
    )
    report = out / "report.html"
    with Browser(tmp_path / "profile") as browser:
        log = browser.load(report)
        assert log.loaded
        assert log.requests == [report.resolve().as_uri()], "nothing but the file itself"
        assert log.errors == [], log.errors
        assert log.console == []
        assert browser.evaluate("document.title") == "Funnel audit: Ledgerloop"
        assert browser.evaluate("document.querySelectorAll('h2').length") >= 9
        # the sorter is the only script; it runs only if the CSP hash matches its text
        sorted_ = browser.evaluate("""(() => {
            const th = document.querySelector('table.sortable th[data-sort]');
            th.click();
            return th.getAttribute('aria-sort');
        })()""")
        assert sorted_ == "ascending", "the inline sorter did not run under the CSP"
        overflow = browser.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, "the page scrolls sideways at 1280px"
        shot = browser.screenshot(tmp_path / "report-ledgerloop.png")
        final = browser.page_log()
        assert final.requests == log.requests and final.errors == []
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    _keep_screenshot(shot)


def test_script_payloads_in_site_text_never_execute(
    tmp_path: Path, site: SiteServer, model
) -> None:  # noqa: ANN001
    evil = " ".join(PAYLOADS)
    links = "".join(
        f"<a href='/guide/{i}%22%3E%3Cscript%3E{i}%3C/script%3E'>guide {i}</a>"
        f'<a href="{p.replace(chr(34), "&quot;")}">cta {i}</a>'
        for i, p in enumerate(PAYLOADS)
    )
    body = (
        "<p>We fix boilers, unblock drains and fit bathrooms for homes in town. "
        "Boiler repair, boiler service and drain unblocking explained.</p>"
    )
    site.add(
        "/",
        f"<html><head><title>{evil} Home</title>"
        f"<meta name='description' content='{RUN}'></head><body><main>"
        f"<h1>{evil}</h1><h2>{PAYLOADS[1]}</h2>{body}{links}"
        "<a href='/pricing'>pricing</a><a href='/contact'>contact</a>"
        "</main></body></html>",
    )
    for i in range(len(PAYLOADS)):
        site.add(
            f'/guide/{i}"><script>{i}</script>',
            f"<html><head><title>Guide {i}: {PAYLOADS[i]}</title></head><body><main>"
            f"<h1>{PAYLOADS[i]} boiler guide</h1>{body}<a href='/pricing'>pricing</a>"
            "</main></body></html>",
        )
    site.add(
        "/pricing",
        f"<html><head><title>Prices {evil}</title></head><body><main>"
        f"<h1>Prices</h1><p>Boiler service $90. Repairs from $120.</p>"
        f"<a href='/contact'>Book now {PAYLOADS[0]}</a></main></body></html>",
    )
    site.add(
        "/contact",
        "<html><head><title>Contact us</title></head><body><main><h1>Contact"
        "</h1><form><input type=email name=email><input type=tel name=phone>"
        "<button>Send</button></form></main></body></html>",
    )
    out = tmp_path / "out"
    assert main(["audit", site.url("/"), "--out", str(out), "--quiet", "--no-history"]) == 0
    report = out / "report.html"
    assert "PWNED" in report.read_text(encoding="utf-8"), "the payloads reached the report"
    with Browser(tmp_path / "profile") as browser:
        log = browser.load(report, settle=1.0)
        assert log.loaded
        text = browser.evaluate("document.body.innerText")
        assert "PWNED" in text and "<script>" in text, "payloads are shown as text"
        browser.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        browser.pump(0.5)
        log = browser.page_log()
        assert browser.evaluate("document.title").startswith("Funnel audit: ")
        assert "PWNED" not in browser.evaluate("document.title")
        assert browser.evaluate("typeof window.__pwned") == "undefined"
        assert log.console == [] and log.exceptions == [], (log.console, log.exceptions)
        assert log.requests == [report.resolve().as_uri()], log.requests
        assert log.errors == [], log.errors
        assert browser.evaluate("document.scripts.length") == 1
        assert (
            browser.evaluate(
                "[...document.querySelectorAll('*')].filter(e => [...e.attributes]"
                ".some(a => a.name.startsWith('on'))).length"
            )
            == 0
        )
        assert (
            browser.evaluate(
                "[...document.links].filter(a => !/^(https?:|#)/.test(a.getAttribute('href')))"
                ".length"
            )
            == 0
        )
        _keep_screenshot(browser.screenshot(tmp_path / "report-hostile.png", full_page=False))
