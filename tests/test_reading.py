"""Reading pages in parser processes: same readings as in-process, and an audit that survives a
parser dying or failing to start."""

from __future__ import annotations

import functools
import os
import signal
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from funnel_audit.audit import AuditOptions, run_audit
from funnel_audit.crawl.crawler import CrawlSettings
from funnel_audit.models import FetchedPage
from funnel_audit.read.boilerplate import RepeatedLines
from funnel_audit.read.reading import ParserGone, ParserProcess, read_page
from tests.conftest import SAMPLES


def _pages(folder: Path) -> list[FetchedPage]:
    return [
        FetchedPage(
            url=f"http://site.example/{path.relative_to(folder).as_posix()}",
            final_url=f"http://site.example/{path.relative_to(folder).as_posix()}",
            status=200,
            content_type="text/html",
            html=path.read_text(encoding="utf-8"),
            depth=1,
            fetched_at=datetime.now(UTC),
        )
        for path in sorted(folder.rglob("*.html"))
    ]


def test_a_parser_process_reads_pages_exactly_as_this_process(model) -> None:  # noqa: ANN001
    pages = _pages(SAMPLES / "ledgerloop")
    parser = ParserProcess(model)
    try:
        futures = [parser.submit(page) for page in pages]
        remote = [f.result(timeout=60) for f in futures]
    finally:
        parser.close()
    repeated = RepeatedLines()
    local = [read_page(page, model, repeated) for page in pages]
    assert [r.prediction for r in remote] == [r.prediction for r in local]
    assert [r.text for r in remote] == [r.text for r in local]
    with pytest.raises(ParserGone):
        parser.submit(pages[0])


class _FailsInOtherProcesses:
    """A model source that loads here but not in a parser process (picklable by reference)."""

    def __init__(self, model: object) -> None:
        self.pid = os.getpid()
        self.model = model

    def __call__(self) -> object:
        if os.getpid() != self.pid:
            raise RuntimeError("no model here")
        return self.model

    def __reduce__(self) -> tuple[object, ...]:
        return (_failing_source, (self.pid,))


def _failing_source(pid: int) -> Callable[[], object]:
    def fail() -> object:
        raise RuntimeError(f"cannot load the model away from process {pid}")

    return fail


class _Slow(SimpleHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        time.sleep(0.05)
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture
def slow_site() -> object:
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Slow, directory=str(SAMPLES / "ledgerloop"))
    )
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def _audit(url: str, tmp_path: Path, model: object, parsers: int = 1) -> dict[str, str]:
    opts = AuditOptions(
        target=url,
        out_dir=tmp_path / f"out-{parsers}",
        crawl=CrawlSettings(concurrency=2, allow_private=True),
        parsers=parsers,
    )
    outcome = run_audit(opts, model=model, write_outputs=False)
    return {p.url: p.stage.value for p in outcome.result.pages if p.stage is not None}


def test_an_audit_survives_its_parser_being_killed(slow_site: str, tmp_path: Path, model) -> None:  # noqa: ANN001
    expected = _audit(slow_site, tmp_path, model, parsers=0)
    me = os.getpid()
    killed: list[int] = []

    def kill_parsers() -> None:
        deadline = time.monotonic() + 30
        while not killed and time.monotonic() < deadline:
            time.sleep(0.05)
            for status in Path("/proc").glob("[0-9]*/status"):
                try:
                    text = status.read_text()
                except OSError:
                    continue
                command = Path(status.parent, "cmdline").read_bytes()
                if f"PPid:\t{me}\n" in text and b"serve_fds" in command:
                    os.kill(int(status.parent.name), signal.SIGKILL)
                    killed.append(int(status.parent.name))

    killer = threading.Thread(target=kill_parsers)
    killer.start()
    got = _audit(slow_site, tmp_path, model, parsers=1)
    killer.join()
    assert killed, "no parser process was found to kill"
    assert got == expected


def test_a_parser_that_cannot_load_its_model_leaves_the_reading_here(
    slow_site: str, tmp_path: Path, model
) -> None:  # noqa: ANN001
    expected = _audit(slow_site, tmp_path, model, parsers=0)
    assert _audit(slow_site, tmp_path, _FailsInOtherProcesses(model), parsers=2) == expected


@pytest.mark.parametrize(
    ("cpus", "audits", "parsers"),
    [(1, 1, 0), (2, 1, 2), (2, 2, 0), (4, 1, 3), (8, 2, 3), (8, 4, 2), (8, 8, 0)],
)
def test_parsers_share_the_cpus_between_audits(
    monkeypatch: pytest.MonkeyPatch, cpus: int, audits: int, parsers: int
) -> None:
    """run-due audits sites side by side: together they never start more parsers than CPUs."""
    from funnel_audit.read import reading

    monkeypatch.setattr(reading.os, "sched_getaffinity", lambda pid: set(range(cpus)))
    assert reading.default_parsers(audits) == parsers
