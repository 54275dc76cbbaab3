"""Check a user's `--templates` folder before any crawl, so a broken template costs seconds, not a
whole audit that then fails at the last step.

`check_templates` refuses a missing folder, a file that is not UTF-8 text, a template that does
not parse, and then renders the report from a small synthetic audit (with and without a previous
audit, so every section is drawn) with undefined names as errors. Any failure is one InputError
line naming the template and its line (exit 6). The loader (`html.ConfinedLoader`) never reads
outside the template folders.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import jinja2

from funnel_audit.errors import InputError
from funnel_audit.models import (
    AuditResult,
    CalendarEntry,
    Gap,
    PageResult,
    Stage,
    StageQuality,
    StageShare,
)
from funnel_audit.report.html import SORT_SCRIPT, environment, render_report, template_failure

MAX_TEMPLATE_FILES = 500
MAX_TEMPLATE_BYTES = 2_000_000


def check_templates(template_dir: Path | None) -> None:
    """Refuse a `--templates` folder the report could not be rendered with (None: nothing to do)."""
    if template_dir is None:
        return
    if not template_dir.is_dir():
        raise InputError(
            f"--templates folder not found: {template_dir} (give a folder of report templates)"
        )
    env = environment(template_dir)
    root = template_dir.resolve()
    files = sorted(
        f
        for f in template_dir.rglob("*")
        if not any(part.startswith(".") for part in f.relative_to(template_dir).parts)
        and not f.is_dir()
    )
    if len(files) > MAX_TEMPLATE_FILES:
        raise InputError(
            f"--templates folder holds over {MAX_TEMPLATE_FILES} files: {template_dir}"
        )
    for path in files:
        name = path.relative_to(template_dir).as_posix()
        if not path.resolve().is_relative_to(root):
            raise InputError(f"template {name} leads outside the --templates folder: refused")
        if not path.is_file():
            raise InputError(f"template {name} is not a regular file")
        data = path.read_bytes()[: MAX_TEMPLATE_BYTES + 1]
        if len(data) > MAX_TEMPLATE_BYTES:
            raise InputError(f"template {name} is larger than {MAX_TEMPLATE_BYTES:,} bytes")
        try:
            source = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(
                f"template {name} is not UTF-8 text (byte {exc.start}): give text templates only"
            ) from exc
        if "\x00" in source:
            raise InputError(f"template {name} is not text (it holds NUL bytes)")
        if name == SORT_SCRIPT:
            continue  # inlined as it is, never parsed as a template
        try:
            env.parse(source, name, str(path))
        except jinja2.TemplateSyntaxError as exc:
            raise template_failure(exc, env) from exc
    result = sample_result()
    for previous in (None, sample_previous()):
        render_report(result, previous=previous, template_dir=template_dir)


def _page(url: str, stage: Stage | None, **extra: Any) -> PageResult:
    values: dict[str, Any] = dict(
        url=url, status=200, error=None, depth=1, content_type="text/html",
        title=f"Sample {stage.value if stage else 'error'} page", word_count=900, stage=stage,
        confidence=0.8, reasons=("sample",), needs_review=False, label_source="model",
        links=("https://example.com/",), topic="pricing",
    )  # fmt: skip
    values.update(extra)
    return PageResult(**values)


def sample_result() -> AuditResult:
    """A small audit with something in every section of the report."""
    base = "https://example.com/"
    stages = list(Stage)
    pages = [_page(f"{base}{s.value}", s) for s in stages]
    pages.append(_page(f"{base}review", Stage.DECISION, needs_review=True, confidence=0.4))
    pages.append(_page(f"{base}broken", None, status=500, error="HTTP 500"))
    funnel = Stage.funnel()
    when = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    return AuditResult(
        target=base,
        site="example.com",
        started_at=when,
        finished_at=when,
        settings={"max_pages": 10},
        model_version="sample",
        pages=tuple(pages),
        mix=tuple(StageShare(s, 1, 0.25, 0.25, 0.25, s is Stage.DECISION) for s in funnel),
        gaps=(Gap(Stage.DECISION, "pricing", "thin-stage", 3, "Too few decision pages", (base,)),),
        calendar=(
            CalendarEntry(
                date(2026, 1, 12),
                Stage.DECISION,
                "case study",
                "A sample title",
                "pricing",
                ("price",),
                "Book a demo",
                (base,),
                (base,),
                "Marketing",
                "demo requests",
                "thin-stage",
                "the decision stage is thin",
            ),
        ),  # fmt: skip
        topics={"pricing": {s.value: 1 for s in funnel}},
        notes=("a sample note",),
        link_flow={
            "onward_share": {s.value: 0.5 for s in funnel},
            "stage_links": {s.value: {t.value: 1 for t in funnel} for s in funnel},
        },
        quality=tuple(StageQuality(s, 1, 1, 1, 1, 1, (base,), (base,), (base,)) for s in funnel),
        brand="Example",
    )


def sample_previous() -> dict[str, Any]:
    """A comparison with one earlier audit, shaped like `analyse.since_last.since_last`."""
    funnel = [s.value for s in Stage.funnel()]
    counts = {s: 1 for s in funnel}
    return {
        "date": "2025-12-01",
        "trend": [
            {"date": "2025-12-01", "counts": counts},
            {"date": "2026-01-05", "counts": counts},
        ],
        "trend_max": 1,
        "published": [
            {
                "date": "2025-12-08",
                "stage": "decision",
                "title": "A sample title",
                "url": "https://example.com/decision",
                "page_title": "Sample decision page",
            }
        ],
        "stages": [{"stage": s, "then": 1, "now": 1} for s in funnel],
    }
