"""The report reads on a phone and a laptop and prints short: no sideways scrolling at 390 px and
1280 px, legible charts, compact page lists with titles and short paths, and `--pdf` (headless
Chromium) giving 15 pages or fewer for the sample sites and a 300-page site. The browser tests
share one audit per site and one Chromium."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from funnel_audit.cli.main import main
from funnel_audit.report.pdf import pdf_beside
from tests.big_site import write_big_site
from tests.browser import CHROMIUM, Browser
from tests.conftest import SAMPLES

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"headless Chromium not installed at {CHROMIUM} "
    "(apt-get install chromium; .ci/run installs it)",
)
SITES = ("harbourline-plumbing", "ledgerloop", "big-300")
WIDTHS = ((390, True), (1280, False))
MAX_PDF_PAGES = 15


def pdf_pages(path: Path) -> int:
    """Pages in a PDF: its page objects (`/Type /Page`, not the `/Pages` tree nodes), checked
    against the page tree's root count."""
    data = path.read_bytes()
    assert data.startswith(b"%PDF-"), "not a PDF"
    pages = len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data))
    counts = [int(n) for n in re.findall(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", data)]
    counts += [int(n) for n in re.findall(rb"/Count\s+(\d+)[^>]*?/Type\s*/Pages\b", data)]
    assert counts and max(counts) == pages, (pages, counts)
    return pages


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory, model) -> dict[str, Path]:  # noqa: ANN001
    """One audit per site, each with --pdf: site name -> its output folder."""
    if not CHROMIUM.exists():
        pytest.skip(f"headless Chromium not installed at {CHROMIUM}")
    base = tmp_path_factory.mktemp("layout")
    targets = {
        "harbourline-plumbing": SAMPLES / "harbourline-plumbing",
        "ledgerloop": SAMPLES / "ledgerloop",
        "big-300": write_big_site(base / "big-site", 300),
    }
    outs = {}
    for name, target in targets.items():
        out = base / name
        args = ["audit", str(target), "--out", str(out), "--quiet", "--start", "2026-12-07"]
        # ledgerloop is audited twice, so its report draws the changes since the last audit too
        history = ["--db", str(base / "history.sqlite3")] if name == "ledgerloop" else []
        if history:
            assert main([*args, *history]) == 0
        assert main([*args, *(history or ["--no-history"]), "--pdf"]) == 0
        outs[name] = out
    return outs


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"headless Chromium not installed at {CHROMIUM}")
    with Browser(tmp_path_factory.mktemp("profile")) as shared:
        yield shared


@needs_chromium
@pytest.mark.browser
@pytest.mark.parametrize("site", SITES)
@pytest.mark.parametrize(("width", "mobile"), WIDTHS)
def test_no_sideways_scrolling(
    reports: dict[str, Path], browser: Browser, site: str, width: int, mobile: bool
) -> None:
    browser.set_viewport(width, 900, mobile=mobile)
    log = browser.load(reports[site] / "report.html")
    assert log.errors == [] and log.loaded
    found = browser.overflow()
    assert found["width"] <= width and found["scrollWidth"] <= width, found
    assert found["offenders"] == [], f"runs off the right edge at {width}px: {found}"


@needs_chromium
@pytest.mark.browser
def test_text_and_charts_stay_legible_on_a_phone(
    reports: dict[str, Path], browser: Browser
) -> None:
    browser.set_viewport(390, 844, mobile=True)
    browser.load(reports["big-300"] / "report.html")
    sizes = browser.evaluate("""(() => {
        const px = (sel) => [...document.querySelectorAll(sel)].map(
            e => parseFloat(getComputedStyle(e).fontSize));
        const text = [...document.querySelectorAll('main *')].filter(e => {
            const r = e.getBoundingClientRect();
            return r.width > 0 && [...e.childNodes].some(
                n => n.nodeType === 3 && n.textContent.trim());
        }).map(e => parseFloat(getComputedStyle(e).fontSize));
        return {bars: px('.bar-label, .bar-value'), flow: px('.flow-stage, .flow-share'),
                text: Math.min(...text), svgText: document.querySelectorAll('svg text').length};
    })()""")
    assert sizes["bars"] and min(sizes["bars"]) >= 12, sizes
    assert sizes["flow"] and min(sizes["flow"]) >= 12, sizes
    assert sizes["text"] >= 10, "no text shrinks below 10px on a phone"
    assert sizes["svgText"] == 0, "no chart text scales down with an SVG viewBox"


@needs_chromium
@pytest.mark.browser
def test_calendar_rows_are_compact_with_titles_and_short_paths(
    reports: dict[str, Path], browser: Browser
) -> None:
    browser.set_viewport(1280, 900)
    browser.load(reports["big-300"] / "report.html")
    rows = browser.evaluate(
        "[...document.querySelectorAll('table.calendar tbody tr')]"
        ".map(r => Math.round(r.getBoundingClientRect().height))"
    )
    assert len(rows) == 24 and max(rows) <= 320, rows
    links = browser.evaluate("""[...document.querySelectorAll('table.calendar td.links')].map(
        td => [...td.querySelectorAll('.refs')].map(r => r.querySelectorAll('.ref').length))""")
    assert all(len(cell) <= 2 and max(cell) <= 2 for cell in links if cell), links
    assert any(cell for cell in links), "the calendar names pages to link from or to"


@needs_chromium
def test_page_lists_name_pages_by_title_and_short_path(reports: dict[str, Path]) -> None:
    soup = BeautifulSoup((reports["big-300"] / "report.html").read_text("utf-8"), "html.parser")
    for section in ("calendar", "gaps", "pages", "review", "mix"):
        block = soup.find(id=section)
        assert block is not None
        assert "://" not in block.get_text(" "), f"a full URL is shown in #{section}"
    refs = soup.select("#calendar .ref, #gaps .ref")
    assert refs and all(r.select_one(".path") for r in refs)
    titled = [r for r in refs if r.select_one(".ref-title")]
    assert titled, "pages are named by their titles"
    assert all(len(r.select_one(".path").get_text()) <= 48 for r in refs), "paths are short"
    pricing = next(r for r in soup.select("#calendar .ref, #gaps .ref") if "/demo/" in r.text)
    assert pricing.get_text(" ", strip=True).startswith("Book a demo")
    assert "Northwind Fieldservice Software" not in pricing.get_text(), "site name trimmed"


@needs_chromium
def test_long_page_lists_are_summarised_with_counts(reports: dict[str, Path]) -> None:
    out = reports["big-300"]
    soup = BeautifulSoup((out / "report.html").read_text("utf-8"), "html.parser")
    pages = soup.find(id="pages")
    listed = {
        d.find("summary").get_text(strip=True): len(d.select("tbody tr"))
        for d in pages.find_all("details")
    }
    total = {k.split(" (")[0]: int(k.split("(")[1].rstrip(")")) for k in listed}
    assert sum(total.values()) == 300
    assert all(n <= 20 for n in listed.values()), listed
    big = max(total, key=lambda s: total[s])
    assert f"{total[big] - 20} more in pages.csv" in pages.get_text(" ")
    order = [s["id"] for s in soup.find("main").find_all("section", recursive=False)]
    assert order[:3] == ["summary", "plan", "calendar"], order
    assert order[-3:] == ["pages", "review", "method"], order
    again = BeautifulSoup((reports["ledgerloop"] / "report.html").read_text("utf-8"), "html.parser")
    order = [s["id"] for s in again.find("main").find_all("section", recursive=False)]
    assert order.index("flow") + 1 == order.index("changes") == order.index("pages") - 1, order


@needs_chromium
@pytest.mark.browser
def test_print_layout_rules(reports: dict[str, Path], browser: Browser) -> None:
    browser.set_viewport(794, 1123)
    browser.load(reports["ledgerloop"] / "report.html")
    browser.set_media("print")
    try:
        found = browser.evaluate("""(() => {
            const style = (sel) => getComputedStyle(document.querySelector(sel));
            return {nav: style('nav.toc').display, thead: style('table.calendar thead').display,
                    h2: style('h2').breakAfter, tr: style('table.calendar tbody tr').breakInside,
                    pages: [...document.querySelectorAll('#pages details')].map(
                        d => getComputedStyle(d).display),
                    summary: style('#pages table.print-only').display};
        })()""")
    finally:
        browser.set_media("")
    assert found["nav"] == "none"
    assert found["thead"] == "table-header-group", "headers repeat on every printed page"
    assert found["h2"] == "avoid" and found["tr"] == "avoid"
    assert set(found["pages"]) == {"none"}, "the long page lists are left out of print"
    assert found["summary"] == "table", "print shows the per-stage counts instead"


@needs_chromium
@pytest.mark.browser
@pytest.mark.parametrize("site", SITES)
def test_pdf_is_at_most_15_pages(reports: dict[str, Path], site: str) -> None:
    pdf = reports[site] / "report.pdf"
    pages = pdf_pages(pdf)
    print(f"{site}: report.pdf has {pages} pages")
    assert 2 <= pages <= MAX_PDF_PAGES, f"{site}: {pages} pages"
    assert not list(reports[site].glob(".*.part")), "no temporary PDF left behind"
    assert oct(pdf.stat().st_mode & 0o777) == oct(0o666 & ~_umask()), "made like other outputs"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "funnel_audit", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )


def test_pdf_without_chromium_is_one_warning_and_the_rest_is_written(
    tmp_path: Path,
    model,  # noqa: ANN001
) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "FUNNEL_AUDIT_CHROMIUM"}
    env["PATH"] = str(empty)
    out = tmp_path / "o"
    (out).mkdir()
    (out / "report.pdf").write_bytes(b"%PDF-1.4 an older report")
    args = ("audit", str(SAMPLES / "harbourline-plumbing"), "--out", str(out), "--no-history")
    done = _cli(*args, "--quiet", "--pdf", env=env)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("Warning: report.pdf was not written: no Chromium found on PATH")
    assert "install Chromium" in lines[0] and "print it to PDF" in lines[0]
    assert (out / "report.html").is_file() and (out / "audit.json").is_file()
    assert not (out / "report.pdf").exists(), "a PDF of an earlier report is not left behind"
    env["FUNNEL_AUDIT_CHROMIUM"] = str(tmp_path / "no-such-chromium")
    again = _cli("report", str(out / "audit.json"), "--pdf", env=env)
    assert again.returncode == 0, again.stderr
    assert again.stderr.strip().splitlines() == [
        f"Warning: report.pdf was not written: FUNNEL_AUDIT_CHROMIUM={tmp_path}/no-such-chromium "
        "is not an executable program; install Chromium (e.g. apt-get install chromium) or point "
        "FUNNEL_AUDIT_CHROMIUM at it, or open report.html in a browser and print it to PDF"
    ]
    assert "Report:" in again.stdout and not (out / "report.pdf").exists()


def _program(folder: Path, name: str, body: str) -> Path:
    path = folder / name
    path.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    path.chmod(0o755)
    return path


def test_a_hung_or_failing_chromium_is_a_warning_and_leaves_no_file(tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    report.write_text("<!doctype html><title>r</title><p>report</p>", encoding="utf-8")
    pid_file = tmp_path / "child.pid"
    hung = _program(tmp_path, "hung", f"sleep 30 & echo $! > {pid_file}; sleep 30")
    started = time.monotonic()
    pdf, warning = pdf_beside(report, {"FUNNEL_AUDIT_CHROMIUM": str(hung), "PATH": ""}, 1)
    assert pdf is None and "Chromium took over 1 seconds" in warning
    assert time.monotonic() - started < 15
    junk = _program(tmp_path, "junk", 'for a; do case "$a" in --print-to-pdf=*) '
                    'echo "not a pdf" > "${a#--print-to-pdf=}";; esac; done')  # fmt: skip
    pdf, warning = pdf_beside(report, {"FUNNEL_AUDIT_CHROMIUM": str(junk), "PATH": ""})
    assert pdf is None and "Chromium did not write a PDF" in warning
    failing = _program(tmp_path, "failing", "exit 3")
    pdf, warning = pdf_beside(report, {"FUNNEL_AUDIT_CHROMIUM": str(failing), "PATH": ""})
    assert pdf is None and "exit code 3" in warning
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["child.pid", "failing", "hung", "junk", "report.html"], names
    assert not _alive(int(pid_file.read_text())), "the process group was ended at the time limit"


def _alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie waiting for its reaper counts as ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_a_page_is_named_by_its_title_and_a_short_path() -> None:
    from funnel_audit.report.refs import PageRefs

    pages = [
        _result("https://www.acme.example/pricing/", "Pricing and plans | Acme"),
        _result("https://www.acme.example/blog/", "Acme \u2013 The blog"),
        _result("https://www.acme.example/x", "A " + "very long title " * 10),
    ]
    ref = PageRefs(pages, "Acme", ["shop.acme.example:8443"])
    assert ref("https://www.acme.example/pricing/").title == "Pricing and plans"
    assert ref("https://www.acme.example/pricing/").path == "/pricing/"
    assert ref("https://www.acme.example/blog/").title == "The blog"
    long = ref("https://www.acme.example/x").title
    assert len(long) <= 72 and long.endswith("\u2026") and " very long title" in long
    assert ref("https://other.example/a%20b?q=1").path == "other.example/a b?q=1"
    assert ref("https://shop.acme.example/cart").path == "/cart", "an alias host is the site's"
    deep = ref("https://www.acme.example/blog/2024/05/06/a-reasonably-short-last-one/").path
    assert deep == "/blog/\u2026/a-reasonably-short-last-one/"
    slug = ref("https://www.acme.example/blog/2024/05/" + "word-" * 20 + "end/").path
    assert len(slug) == 44 and slug.startswith("/blog/2024/") and slug.endswith("-word-end/")
    odd = ref("https://www.acme.example/a\x07b\u202e/")
    assert odd.path == "/a b/" and odd.title == "" and odd.href is not None
    assert ref("javascript:alert(1)").href is None


def _result(url: str, title: str):  # noqa: ANN202
    from funnel_audit.models import PageResult, Stage

    return PageResult(
        url=url, status=200, error=None, depth=1, content_type="text/html", title=title,
        word_count=300, stage=Stage.AWARENESS, confidence=0.9, reasons=(), needs_review=False,
        label_source="model",
    )  # fmt: skip
