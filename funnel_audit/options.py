"""What an audit is asked to do, and what it gives back: the records at the library's front
door (`run_audit`), shared by the CLI, scheduled runs and the findings step."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from funnel_audit.analyse.gaps import DEFAULT_TARGET
from funnel_audit.crawl.settings import CrawlSettings
from funnel_audit.models import AuditResult, Stage
from funnel_audit.plan.people import Member
from funnel_audit.plan.planner import DEFAULT_PER_WEEK, DEFAULT_WEEKS
from funnel_audit.report.html import Branding


@dataclass(frozen=True)
class AuditOptions:
    """How to audit one target; every field has the default the settings table gives it."""

    target: str
    out_dir: Path | None = None
    crawl: CrawlSettings = field(default_factory=CrawlSettings)
    target_mix: dict[Stage, float] = field(default_factory=lambda: dict(DEFAULT_TARGET))
    weeks: int = DEFAULT_WEEKS
    per_week: int = DEFAULT_PER_WEEK
    start: date | None = None
    labels: Path | None = None
    resume: bool = False
    conditional: bool = True
    branding: Branding = field(default_factory=Branding)
    template_dir: Path | None = None
    # processes that read pages while the crawl fetches (0: read in the crawling process;
    # None: one per CPU up to three); folders are always read in-process
    parsers: int | None = None
    # other host names of the site (--alias-host): links to them are links within the site
    alias_hosts: tuple[str, ...] = ()
    # also write report.xlsx (--xlsx); off by default: openpyxl is an extra and costs ~17 MB
    xlsx: bool = False
    # the people the calendar is assigned to (--team-member, [[team]]); none: owners stay roles
    team: tuple[Member, ...] = ()


@dataclass
class AuditOutcome:
    """An audit's result, the folder it was written to and the files written there."""

    result: AuditResult
    out_dir: Path
    files: dict[str, Path]
