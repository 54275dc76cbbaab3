"""`funnel-audit portfolio`: every site's last complete audit, mix, health, trend, next due date
and last failure, checked through the CLI against what `audit`, `history`, `diff` and
`schedule show` say about the same SQLite history (built by auditing the sample sites)."""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from funnel_audit.analyse.overweight import is_overweight
from funnel_audit.cli.main import main
from funnel_audit.models import Stage, StageShare
from tests.browser import CHROMIUM, Browser
from tests.conftest import SAMPLES
from tests.pg_server import PASSWORD, PgServer

HOSTILE = "ledger<img src=x onerror=alert(1)>\x1b[31m"
CLIENT = "<script>alert('client')</script> & Sons"


@dataclass
class History:
    """A history with a site audited twice (a trend), failed after that, a site audited once
    from a hostile folder name, a site that only ever failed, and a config that also lists a
    site never audited."""

    db: str
    config: Path
    harbour: Path
    health: list[int]  # harbourline's health as `audit` printed it, oldest first


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    captured = capsys.readouterr()
    assert PASSWORD not in captured.out + captured.err, "a database password was shown"
    return code, captured.out, captured.err


def _run(*args: str) -> tuple[int, str]:
    """An audit through the CLI with its output captured here (module fixtures get no capsys)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = main(["audit", *args, "--quiet", "--start", "2026-12-07"])
    return code, out.getvalue()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def history(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, model: object
) -> Iterator[History]:
    """The history on each backend: a SQLite file, then a throwaway PostgreSQL database."""
    base = tmp_path_factory.mktemp("portfolio")
    server: PgServer | None = None
    db = str(base / "history.sqlite3")
    if request.param == "postgres":
        server = request.getfixturevalue("pg_server")
        db = server.new_database()
    yield _build(base, db)
    if server is not None:
        server.drop_database(db)


def _build(base: Path, db: str) -> History:
    harbour = base / "harbour"
    shutil.copytree(SAMPLES / "harbourline-plumbing", harbour)
    ledger = base / HOSTILE
    shutil.copytree(SAMPLES / "ledgerloop", ledger)
    outputs = [_run(str(harbour), "--out", str(base / "o1"), "--db", str(db))]
    # the second audit: advice pages gone, two new pages, another target mix
    for page in (harbour / "advice").glob("*.html"):
        page.unlink()
    shutil.copy(harbour / "services" / "boiler-repair.html", harbour / "boiler-repair-2.html")
    shutil.copy(harbour / "reviews.html", harbour / "reviews-2.html")
    outputs.append(
        _run(str(harbour), "--out", str(base / "o2"), "--db", str(db), "--target", "growth")
    )
    outputs.append(_run(str(ledger), "--out", str(base / "o3"), "--db", str(db)))
    assert [code for code, _ in outputs] == [0, 0, 0]
    health = []
    for _code, text in outputs[:2]:
        found = re.search(r"Health: (\d+)/100", text)
        assert found, text
        health.append(int(found.group(1)))
    # then harbourline fails (its folder holds no pages), and a site that only ever failed
    shutil.move(harbour, base / "harbour-away")
    harbour.mkdir()
    assert _run(str(harbour), "--out", str(base / "o4"), "--db", str(db))[0] != 0
    harbour.rmdir()
    shutil.move(base / "harbour-away", harbour)
    assert _run("http://127.0.0.1:1/", "--out", str(base / "o5"), "--db", str(db))[0] == 3
    config = base / "funnel-audit.toml"
    config.write_text(
        f"""
[[sites]]
name = "harbourline"
url = "{harbour}"
client_name = {json.dumps(CLIENT)}
cadence = "monthly on day 3"

[[sites]]
name = "aardvark-never"
url = "https://aardvark.example/"
""",
        encoding="utf-8",
    )
    return History(db, config, harbour, health)


def _json(capsys: pytest.CaptureFixture[str], h: History) -> dict[str, object]:
    code, out, err = _cli(
        capsys, "portfolio", "--db", str(h.db), "--config", str(h.config), "--json"
    )
    assert code == 0, err
    return dict(json.loads(out))


def _site(doc: dict[str, object], name: str) -> dict[str, object]:
    sites = doc["sites"]
    assert isinstance(sites, list)
    return next(s for s in sites if s["name"] == name)


def test_json_has_every_site_with_figures_that_agree_with_the_other_verbs(
    history: History, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = _json(capsys, history)
    assert doc["format"] == "funnel-audit-portfolio/1"
    assert datetime.fromisoformat(str(doc["generated_at"])).tzinfo is not None
    sites = doc["sites"]
    assert isinstance(sites, list)
    names = [s["name"] for s in sites]
    assert names == sorted(names, key=lambda n: (n.casefold(), n))
    assert len(names) == 4 and {"harbourline", "aardvark-never", "127.0.0.1_1"} <= set(names)

    code, out, _ = _cli(capsys, "history", str(history.harbour), "--db", str(history.db),
                        "--config", str(history.config), "--json")  # fmt: skip
    audits = json.loads(out)
    complete = [a for a in audits if a["status"] == "complete"]
    assert code == 0 and len(complete) == 2
    harbour = _site(doc, "harbourline")
    assert harbour["configured"] is True and harbour["client_name"] == CLIENT
    last = harbour["last"]
    assert isinstance(last, dict)
    assert last["id"] == complete[-1]["id"] and last["pages"] == complete[-1]["pages"]
    mix = harbour["mix"]
    assert isinstance(mix, dict)
    for stage in Stage.funnel():
        figure = mix[stage.value]
        assert figure["pages"] == complete[-1]["mix"][stage.value]["pages"]
        assert figure["share"] == pytest.approx(complete[-1]["mix"][stage.value]["share"])
        share = StageShare(stage, figure["pages"], figure["share"], figure["target"], 0.0, False)
        assert figure["overweight"] == is_overweight(share)
    assert mix["awareness"]["target"] == pytest.approx(0.55)  # the growth preset it was run with
    assert harbour["thin"] == [s for s in mix if mix[s]["thin"]] and harbour["thin"]
    # health is the score the audit itself printed; its change is the two audits' difference
    assert harbour["health"] == history.health[1]
    trend = harbour["trend"]
    assert isinstance(trend, dict)
    assert trend["health_change"] == history.health[1] - history.health[0]
    assert trend["previous"]["id"] == complete[0]["id"]
    for stage in Stage.funnel():
        moved = complete[1]["mix"][stage.value]["share"] - complete[0]["mix"][stage.value]["share"]
        assert trend["share_points"][stage.value] == pytest.approx(moved * 100, abs=0.06)
    code, out, _ = _cli(capsys, "diff", str(history.harbour), "--db", str(history.db),
                        "--config", str(history.config), "--json")  # fmt: skip
    diff = json.loads(out)
    assert trend["pages_added"] == len(diff["added"]) == 2
    assert trend["pages_removed"] == len(diff["removed"]) > 0
    # the failure after the last complete audit, with its one-line error
    failure = harbour["failure"]
    assert isinstance(failure, dict)
    assert failure["status"] == "failed" and failure["id"] == audits[-1]["id"]
    assert "no HTML pages" in failure["error"] and "\n" not in failure["error"]
    # next due: what `schedule show` says for the site
    code, out, _ = _cli(capsys, "schedule", "show", "--db", str(history.db),
                        "--config", str(history.config))  # fmt: skip
    row = next(line for line in out.splitlines() if line.startswith("harbourline "))
    assert harbour["next_due"] in row and harbour["cadence"] == "monthly on day 3"


def test_never_audited_failed_only_and_unconfigured_sites(
    history: History, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = _json(capsys, history)
    never = _site(doc, "aardvark-never")
    assert never["last"] is None and never["mix"] == {} and never["health"] is None
    assert never["due_now"] is True and never["next_due"] == datetime.now().date().isoformat()
    failed = _site(doc, "127.0.0.1_1")
    assert failed["configured"] is False and failed["next_due"] is None
    assert failed["last"] is None and failed["failure"]["error"].startswith("cannot reach")
    hostile = next(s for s in doc["sites"] if str(s["name"]).startswith("ledger<img"))  # type: ignore[union-attr]
    assert hostile["last"]["pages"] > 0 and hostile["trend"] is None and hostile["failure"] is None


def test_the_terminal_table_fits_100_columns(
    history: History, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _cli(
        capsys, "portfolio", "--db", str(history.db), "--config", str(history.config)
    )
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert all(len(line) <= 100 for line in lines), max(lines, key=len)
    assert "\x1b" not in out, "a folder's name must not reach the terminal as an escape"
    rows = lines[1:5]
    assert [r.split()[0] for r in rows][:2] == ["127.0.0.1_1", "aardvark-never"]
    harbour = next(r for r in rows if r.startswith("harbourline "))
    assert f" {history.health[1]} {history.health[1] - history.health[0]:+d} " in harbour
    assert re.search(r" \+2/-\d+ ", harbour)
    assert next(r for r in rows if r.startswith("aardvark-never")).endswith("due now")
    assert any(r.startswith("ledger<img src=… ") for r in rows)  # cut to its 16 columns
    failures = lines[lines.index("last failures since the last complete audit:") + 1 :]
    assert any(f.startswith("  harbourline: failed ") and "no HTML pages" in f for f in failures)
    assert any(f.startswith("  127.0.0.1_1: failed ") for f in failures)


def test_html_page_is_escaped_self_contained_and_written_atomically(
    history: History, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    page = tmp_path / "out" / "portfolio.html"
    page.parent.mkdir()
    page.write_text("old page", encoding="utf-8")
    code, out, err = _cli(capsys, "portfolio", "--db", str(history.db),
                          "--config", str(history.config), "--html", str(page))  # fmt: skip
    assert code == 0 and err == "" and f"wrote {page} (4 sites)" in out
    assert [p.name for p in page.parent.iterdir()] == ["portfolio.html"]  # no temporary left
    html = page.read_text(encoding="utf-8")
    assert PASSWORD not in html
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find("script") is None and soup.find("img") is None
    csp = soup.find("meta", attrs={"http-equiv": "Content-Security-Policy"})
    assert csp is not None and "default-src 'none'" in str(csp["content"])
    assert "script-src" not in str(csp["content"])
    assert CLIENT in soup.get_text() and "<script>alert" not in html
    assert "ledger<img src=x onerror=alert(1)>" in soup.get_text()
    assert soup.find_all(src=True) == [] and soup.find_all(href=True) == [], "no resources"
    rows = soup.select("table.sites tbody tr")
    assert [r.th.find(class_="name").get_text() for r in rows][:2] == [
        "127.0.0.1_1",
        "aardvark-never",
    ]
    harbour = next(r for r in rows if r.th.find(class_="name").get_text() == "harbourline")
    text = harbour.get_text(" ", strip=True)
    assert "thin" in text and "no HTML pages found" in text and "+2 /" in text


def test_no_sites_is_a_friendly_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "none.sqlite3"
    empty = tmp_path / "empty.toml"
    empty.write_text("workers = 1\n", encoding="utf-8")
    for args in (["--db", str(missing)], ["--db", str(missing), "--config", str(empty)]):
        code, out, err = _cli(capsys, "portfolio", *args)
        assert code == 0 and err == "" and out.startswith("No sites yet"), (out, err)
    assert not missing.exists(), "reading never creates a database"
    code, out, _ = _cli(capsys, "portfolio", "--db", str(missing), "--json")
    assert code == 0 and json.loads(out)["sites"] == []


def test_bad_input_is_one_line(
    history: History, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _out, err = _cli(capsys, "portfolio", "--db", str(history.db), "--json",
                           "--html", str(tmp_path / "p.html"))  # fmt: skip
    assert code == 2 and len(err.strip().splitlines()) == 1 and "not both" in err
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    code, _out, err = _cli(capsys, "portfolio", "--db", str(history.db),
                           "--html", str(blocker / "p.html"))  # fmt: skip
    assert code == 4 and len(err.strip().splitlines()) == 1 and "cannot write" in err
    code, _out, err = _cli(capsys, "portfolio", "--config", str(tmp_path / "nope.toml"))
    assert code == 6 and len(err.strip().splitlines()) == 1
    assert main(["portfolio", "--help"]) == 0


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"headless Chromium not at {CHROMIUM}")
def test_html_reads_on_a_phone_and_a_laptop(
    history: History, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    page = tmp_path / "portfolio.html"
    assert _cli(capsys, "portfolio", "--db", str(history.db),
                "--config", str(history.config), "--html", str(page))[0] == 0  # fmt: skip
    with Browser(tmp_path / "profile") as browser:
        for width, mobile in ((390, True), (1280, False)):
            browser.set_viewport(width, 900, mobile=mobile)
            log = browser.load(page)
            assert log.loaded and log.errors == [], log
            assert set(log.requests) <= {page.as_uri()}, "nothing but the page itself is loaded"
            found = browser.overflow()
            assert found["scrollWidth"] <= width and found["offenders"] == [], (width, found)
        browser.set_media("print")
        assert browser.evaluate("getComputedStyle(document.querySelector('thead')).display") == (
            "table-header-group"
        )
