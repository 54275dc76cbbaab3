"""`run_audit` takes its side effects from the caller: the HTTP session it crawls with, the
store, the clock and the model; it prints nothing. Through a real HTTP server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from funnel_audit.audit import AuditOptions, run_audit
from funnel_audit.crawl.settings import CrawlSettings
from funnel_audit.store.open import open_store
from tests.conftest import SAMPLES


class CountingSession(requests.Session):
    """A session that counts what it sends: proof the audit crawled with this one."""

    def __init__(self) -> None:
        super().__init__()
        self.sent = 0

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # noqa: ANN401
        self.sent += 1
        return super().send(request, **kwargs)


def test_the_audit_crawls_with_the_given_session_store_and_clock(
    tmp_path: Path,
    model: Any,  # noqa: ANN401
    serve_folder: Callable[[Path], str],
    capsys: pytest.CaptureFixture[str],
    db: str,
) -> None:
    url = serve_folder(SAMPLES / "harbourline-plumbing")
    session = CountingSession()
    moment = datetime(2027, 3, 1, 9, 30, tzinfo=UTC)
    with open_store(db) as store:
        outcome = run_audit(
            AuditOptions(target=url, out_dir=tmp_path / "out", crawl=CrawlSettings(concurrency=2)),
            model=model,
            store=store,
            clock=lambda: moment,
            today=date(2027, 3, 1),
            session=session,
        )
        audits = store.audits()
    pages = [p for p in outcome.result.pages if p.status == 200]
    assert pages and session.sent >= len(pages)  # robots.txt and sitemaps come on top
    assert [a.started_at for a in audits] == [moment.isoformat()]
    assert outcome.result.calendar[0].date >= date(2027, 3, 1)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
