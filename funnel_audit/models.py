"""Plain records that flow one way through the audit: crawl -> extract -> classify -> gaps -> plan.

Every record is a frozen dataclass so a stage can never mutate what an earlier stage produced.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any


class Stage(StrEnum):
    """Funnel stages in buyer order; `EXCLUDED` marks pages outside the funnel."""

    AWARENESS = "awareness"
    CONSIDERATION = "consideration"
    DECISION = "decision"
    CONVERSION = "conversion"
    EXCLUDED = "excluded"

    @classmethod
    def funnel(cls) -> tuple[Stage, ...]:
        """The four stages that count in the gap maths, in buyer order."""
        return (cls.AWARENESS, cls.CONSIDERATION, cls.DECISION, cls.CONVERSION)

    @property
    def order(self) -> int:
        """The stage's place in the funnel (awareness first), for sorting and finding neighbours."""
        return list(Stage).index(self)


@dataclass(frozen=True, slots=True)
class FetchedPage:
    """One URL's fetch outcome; a failure is data (`error`), never an exception."""

    url: str
    final_url: str
    status: int | None
    content_type: str
    html: str | None
    depth: int
    fetched_at: datetime
    error: str | None = None
    lastmod: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    elapsed_ms: float = 0.0
    size_bytes: int = 0
    not_modified: bool = False

    @property
    def ok(self) -> bool:
        """A page we have HTML for, to read."""
        return self.error is None and self.html is not None


@dataclass(frozen=True, slots=True)
class Form:
    """A form on a page, reduced to the kinds of fields it asks for (email, phone, card ...)."""

    action: str
    method: str
    field_kinds: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PageText:
    """What the classifier and the analysis need from one page, with boilerplate removed."""

    url: str
    title: str
    meta_description: str
    headings: tuple[str, ...]
    main_text: str
    word_count: int
    ctas: tuple[str, ...]
    forms: tuple[Form, ...]
    links: tuple[str, ...]
    canonical: str | None = None
    noindex: bool = False
    lastmod: str | None = None
    schema_types: tuple[str, ...] = ()
    prices: int = 0
    script_bytes: int = 0
    js_rendered: bool = False
    site_name: str = ""  # og:site_name, else the JSON-LD Organization's name (brand.py)
    logo_alt: str = ""  # the alt text or aria-label of the site's logo (brand.py)
    body_links: tuple[str, ...] = ()  # the links outside nav/header/footer/aside (a subset)
    og_url: str | None = None
    base_href: str | None = None  # the <base href>, resolved
    page_kind: str = ""  # what its structured data declares it is (declared.py)


@dataclass(frozen=True, slots=True)
class PageResult:
    """Everything the report needs about one page: its fetch, text and label joined."""

    url: str
    status: int | None
    error: str | None
    depth: int
    content_type: str
    title: str
    word_count: int
    stage: Stage | None
    confidence: float
    reasons: tuple[str, ...]
    needs_review: bool
    label_source: str
    links: tuple[str, ...] = ()  # internal links, normalised absolute URLs
    lastmod: str | None = None
    noindex: bool = False
    js_rendered: bool = False
    content_hash: str = ""
    topic: str = ""
    etag: str | None = None
    last_modified: str | None = None
    # the internal links in the page's body (not its nav, header or footer): the funnel flow is
    # measured on these; None when not recorded (audits stored by older versions)
    body_links: tuple[str, ...] | None = None
    # whether the page carries a form asking for an email address or a phone number (a lead,
    # booking or sign-up form); None when not recorded (audits stored by older versions)
    lead_form: bool | None = None


@dataclass(frozen=True, slots=True)
class StageShare:
    """One funnel stage in the site's mix: pages and share against the target, and if it is thin."""

    stage: Stage
    pages: int
    share: float
    target: float
    weighted_share: float
    thin: bool


@dataclass(frozen=True, slots=True)
class StageQuality:
    """Per stage: how many pages are thin, stale or near-duplicates, so a stage that looks full
    by page count but is made of stubs, old posts or copies shows as weaker than it looks."""

    stage: Stage
    pages: int
    thin: int
    stale: int
    dated: int
    near_duplicate: int
    thin_urls: tuple[str, ...] = ()
    stale_urls: tuple[str, ...] = ()
    duplicate_urls: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Gap:
    """A finding a client can act on: severity 1 (minor) .. 3 (serious)."""

    stage: Stage | None
    topic: str
    kind: str
    severity: int
    message: str
    evidence_urls: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CalendarEntry:
    """One planned piece of content: when, for which stage and topic, and where it links."""

    date: date
    stage: Stage
    format: str
    working_title: str
    target_topic: str
    keywords: tuple[str, ...]
    cta: str
    link_from: tuple[str, ...]
    link_to: tuple[str, ...]
    owner: str
    kpi: str
    gap: str
    rationale: str
    # "foundational" (a page the site needs once, scheduled early) or "ongoing" (a series piece);
    # audits stored before this field load as "ongoing"
    tactic: str = "ongoing"
    key_result: str = ""  # the key result this piece counts towards ("O1.KR1"), plan/okrs.py
    owner_email: str = ""  # the team member's address when a team is configured (plan/team.py)


@dataclass(frozen=True, slots=True)
class KeyResult:
    """A measurable step towards an objective: a number to reach by a date, and the KPI that
    shows whether the work paid off."""

    key: str  # "O1.KR1"
    text: str
    target: int
    unit: str  # "pieces", "pages", "links"
    due: date
    kpi: str
    entries: int = 0  # how many calendar entries count towards it


@dataclass(frozen=True, slots=True)
class Objective:
    """What the plan sets out to change for one finding, from a baseline to a goal by a date."""

    key: str  # "O1"
    stage: Stage | None
    kind: str  # the finding it answers: thin-stage, overweight-stage, ...
    text: str
    baseline: float
    goal: float
    due: date
    key_results: tuple[KeyResult, ...] = ()


@dataclass(frozen=True, slots=True)
class Action:
    """One step in the prioritised action plan, scored impact x confidence x ease (each 1-10)."""

    rank: int
    text: str
    stage: Stage | None
    tactic: str  # foundational or ongoing
    owner: str
    impact: int
    confidence: int
    ease: int
    score: int
    serves: str  # the key result (or finding) it moves
    why: str = ""
    owner_email: str = ""


@dataclass(frozen=True, slots=True)
class AuditResult:
    """The whole audit, as stored, exported and rendered."""

    target: str
    site: str
    started_at: datetime
    finished_at: datetime
    settings: dict[str, object]
    model_version: str
    pages: tuple[PageResult, ...]
    mix: tuple[StageShare, ...]
    gaps: tuple[Gap, ...]
    calendar: tuple[CalendarEntry, ...]
    topics: dict[str, dict[str, int]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    audit_id: int | None = None
    link_flow: dict[str, dict[str, Any]] = field(default_factory=dict)
    quality: tuple[StageQuality, ...] = ()
    brand: str = ""  # the site's name as its pages give it ("" when they do not name it)
    objectives: tuple[Objective, ...] = ()
    actions: tuple[Action, ...] = ()
    summary: tuple[str, ...] = ()  # the executive summary, a few sentences (plan/summary.py)
    site_kind: str = ""  # what sort of business the site is (analyse/site_kind.py)
    conversion: str = ""  # the action the site asks for: quote, booking, sign-up ... (plan/cta.py)
