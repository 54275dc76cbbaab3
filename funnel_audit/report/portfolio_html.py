"""The portfolio as one self-contained HTML page (`portfolio --html FILE`), written atomically.

Rendered with the report's jinja2 environment (autoescape, StrictUndefined, templates confined
to their folder), so names, titles and errors that came from websites are escaped like
everything else the report shows. The page needs no script: its CSP allows none.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from funnel_audit import __version__
from funnel_audit.analyse.gaps import MIN_PAGES, THIN_MARGIN
from funnel_audit.analyse.portfolio import SiteLine
from funnel_audit.errors import OutputError
from funnel_audit.models import Stage
from funnel_audit.report.html import environment
from funnel_audit.report.staging import write_file_atomically

TEMPLATE = "portfolio.html"


def render_portfolio(lines: Sequence[SiteLine], generated_at: datetime) -> str:
    """The page for these sites."""
    scores = [line.health for line in lines if line.health is not None]
    counts = {
        "audited": sum(1 for line in lines if line.last is not None),
        "due": sum(1 for line in lines if line.due_now),
        "failed": sum(1 for line in lines if line.failure is not None),
        "health": round(statistics.median(scores)) if scores else None,
    }
    return (
        environment()
        .get_template(TEMPLATE)
        .render(
            sites=list(lines),
            counts=counts,
            stages=[s.value for s in Stage.funnel()],
            generated=generated_at.strftime("%Y-%m-%d %H:%M %Z").strip(),
            thin_margin=THIN_MARGIN,
            min_pages=MIN_PAGES,
            version=__version__,
        )
    )


def write_portfolio(path: Path, html: str) -> None:
    """Write the page atomically (the old page stays whole if anything fails)."""
    try:
        write_file_atomically(path, html)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from exc
