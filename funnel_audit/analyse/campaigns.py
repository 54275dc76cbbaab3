"""Events and paid campaigns: the two channels of a marketing plan that live outside the content
calendar, judged from the pages that serve them (found by `campaign_pages.py`).

Findings (`Gap.kind`):
- `no-events`: no event or webinar page at all (low; medium for kinds of business where events
  are a usual way to win clients, `EVENT_KINDS`).
- `stale-events`: event pages exist, but none names a date still ahead (title or address) or was
  updated in the last EVENT_STALE_MONTHS months: the programme has stopped.
- `no-landing-pages`: no page made for paid traffic (campaign address, or noindex / linked from
  no page while asking for the action).
- `broken-landing-pages`: landing pages that answer with an HTTP error (high: ads pay for them).
- `landing-pages-no-conversion`: landing pages with no lead form and no link to a conversion page
  (low: a phone number or an outside booking link may be their action).
- `stale-landing-pages`: landing pages that promote a date that has passed, or were last updated
  over LANDING_STALE_MONTHS months ago.

`today` is the audit's date, passed in, so a stored audit always gives the same findings.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date

from funnel_audit.analyse.campaign_pages import (
    asks_for_action,
    event_evidence,
    is_confirmation,
    landing_evidence,
    might_be_event,
    path_key,
)
from funnel_audit.analyse.gaps import months_before, parse_lastmod
from funnel_audit.analyse.page_dates import latest_precise, page_dates, spoken
from funnel_audit.analyse.site_kind import NONPROFIT, PROFESSIONAL, SAAS
from funnel_audit.models import Gap, PageResult, Stage

EVENT_STALE_MONTHS = 12
LANDING_STALE_MONTHS = 12
MIN_FUNNEL_PAGES = 5  # a smaller site is not told what it lacks
# orphans are not trusted as a sign of a landing page when more than this share of the read pages
# are orphans: the link graph is then broken rather than the pages kept apart on purpose
MAX_ORPHAN_SHARE = 1 / 3
MAX_EVIDENCE = 10
# kinds of business (analyse/site_kind.py names) whose buyers commonly come through events
EVENT_KINDS = (SAAS, PROFESSIONAL, NONPROFIT)
# what the action plan asks for each finding, and whose work it is (plan/actions.py)
ACTIONS: dict[str, tuple[str, str]] = {
    "no-events": (
        "Plan a first webinar or workshop on a question buyers ask, with its sign-up page",
        "writer",
    ),
    "stale-events": (
        "Schedule the next webinar or workshop and publish its sign-up page",
        "writer",
    ),
    "no-landing-pages": ("Build one landing page per paid offer, each with its form", "web"),
    "broken-landing-pages": (
        "Restore or redirect the broken campaign landing pages, and pause the ads that use them",
        "web",
    ),
    "landing-pages-no-conversion": (
        "Give each campaign landing page one clear action: a form, a booking link or a phone",
        "web",
    ),
    "stale-landing-pages": (
        "Update or retire the campaign landing pages whose offers or dates have passed",
        "web",
    ),
}
# findings answered by a programme that recurs rather than by a page built once
RECURRING = frozenset({"no-events", "stale-events"})
_BAR = re.compile(r"\s\|\s")
_TITLE_PART = re.compile(r"\s[\u2013\u2014\u00b7-]\s")
MAX_NAME_CHARS = 70


@dataclass(frozen=True, slots=True)
class EventPage:
    """An event page and what tells its timing: the latest date it names, else its lastmod."""

    page: PageResult
    why: str
    held: date | None  # the last day of the latest, most precise date its title or address names
    updated: date | None
    said: str = ""  # that date in words, as precise as the page gives it ("in 2023")


def campaign_gaps(
    pages: Sequence[PageResult],
    today: date,
    orphans: Collection[str] = (),
    site_kind: str = "",
) -> list[Gap]:
    """The events and landing-page findings for a site's pages. `orphans` are the pages no other
    page links to (`LinkFlow.orphans`); `site_kind` raises `no-events` for kinds that live on
    events."""
    read = [p for p in pages if p.stage is not None and p.error is None]
    funnel = [p for p in read if p.stage is not Stage.EXCLUDED]
    if len(funnel) < MIN_FUNNEL_PAGES:
        return []
    if len(orphans) > MAX_ORPHAN_SHARE * len(read):
        orphans = ()
    return event_gaps(find_events(read), today, site_kind) + landing_gaps(pages, today, orphans)


def find_events(pages: Sequence[PageResult]) -> list[EventPage]:
    """The event pages among `pages`, with the dates that tell whether they are over."""
    found = []
    for page in pages:
        if not might_be_event(page):
            continue
        dates = page_dates(page.url, page.title)
        why = event_evidence(page, dated=bool(dates))
        if why:
            named = latest_precise(dates)
            found.append(
                EventPage(
                    page,
                    why,
                    named.last if named else None,
                    parse_lastmod(page.lastmod),
                    spoken(named) if named else "",
                )
            )
    return found


def is_current(event: EventPage, today: date) -> bool | None:
    """True for an event still ahead (or updated lately), False for one that is over, None when
    nothing tells. A named date wins over lastmod: a page edited after its event is still past."""
    if event.held is not None:
        return event.held >= today
    if event.updated is not None:
        return event.updated >= months_before(today, EVENT_STALE_MONTHS)
    return None


def events_matter(site_kind: str) -> bool:
    """Whether the site's kind of business usually wins clients through events."""
    return site_kind in EVENT_KINDS


def event_gaps(events: Sequence[EventPage], today: date, site_kind: str = "") -> list[Gap]:
    """`no-events` or `stale-events`, or nothing when an event is current."""
    if not events:
        return [
            Gap(
                Stage.CONSIDERATION,
                "",
                "no-events",
                2 if events_matter(site_kind) else 1,
                "The site has no event or webinar pages. A short webinar or workshop on a "
                "question buyers ask helps them weigh their options, and a live Q&A or demo "
                "session gives those about to choose a date to come back for.",
                (),
            )
        ]
    timing = [(e, is_current(e, today)) for e in events]
    if any(current for _, current in timing):
        return []
    over = sorted(
        (e for e, current in timing if current is False),
        key=lambda e: e.held or e.updated or date.min,
        reverse=True,
    )
    if not over:
        return []
    latest = over[0]
    when = (
        f"took place {latest.said}"
        if latest.held is not None
        else f"was last updated in {_month(latest.updated)}"
    )
    age = _age(latest.held or latest.updated or today, today)
    if len(events) == 1:
        said = (
            f"The site's only event page, \u201c{_name(latest.page)}\u201d, {when} ({age} "
            "before this audit), and no newer event is announced."
        )
    else:
        said = (
            f"None of the site's {len(events)} event pages names a date still ahead or was "
            f"updated in the last {EVENT_STALE_MONTHS} months: the most recent, "
            f"\u201c{_name(latest.page)}\u201d, {when} ({age} before this audit)."
        )
    return [
        Gap(
            Stage.CONSIDERATION,
            "",
            "stale-events",
            2,
            f"{said} Schedule the next webinar or workshop and keep past ones online as "
            "recordings.",
            tuple(e.page.url for e in over[:MAX_EVIDENCE]),
        )
    ]


def landing_gaps(
    pages: Sequence[PageResult], today: date, orphans: Collection[str] = ()
) -> list[Gap]:
    """`no-landing-pages`, or what is wrong with the landing pages there are."""
    orphan_set = frozenset(orphans)
    landing = [p for p in pages if landing_evidence(p, orphan_set)]
    if not landing:
        return [
            Gap(
                Stage.CONVERSION,
                "",
                "no-landing-pages",
                1,
                "No landing pages for paid campaigns were found (pages kept out of search or "
                "off the menus that take an ad's visitors straight to one offer and its form). "
                "Paid visitors sent to the home page convert worse: build one landing page per "
                "offer, each with its form and little else to click.",
                (),
            )
        ]
    gaps: list[Gap] = []
    broken = [p for p in landing if p.error is not None]
    if broken:
        codes = sorted({str(p.status) for p in broken if p.status})
        gaps.append(
            Gap(
                Stage.CONVERSION,
                "",
                "broken-landing-pages",
                3,
                f"{_pages(len(broken))} {_verb(len(broken), 'answers', 'answer')} with an error "
                f"(HTTP {', '.join(codes)}): an ad that still sends visitors there pays for "
                "clicks that land nowhere. Restore or redirect them, or pause those ads.",
                tuple(p.url for p in broken[:MAX_EVIDENCE]),
            )
        )
    working = [p for p in landing if p.error is None]
    # no form and not a conversion page; then only, whether their links lead to one
    dead_ends = [p for p in working if not asks_for_action(p, ())]
    if dead_ends:
        targets = frozenset(
            path_key(p.url)
            for p in pages
            if p.stage is Stage.CONVERSION and p.error is None and not is_confirmation(p)
        )
        dead_ends = [p for p in dead_ends if not asks_for_action(p, targets)]
    if dead_ends:
        gaps.append(
            Gap(
                Stage.CONVERSION,
                "",
                "landing-pages-no-conversion",
                1,
                f"{_pages(len(dead_ends))} {_verb(len(dead_ends), 'has', 'have')} no form and no "
                "link to the site's conversion pages. Check that each gives visitors from an ad "
                "one clear action (a form, a booking link or a phone number) near the top.",
                tuple(p.url for p in dead_ends[:MAX_EVIDENCE]),
            )
        )
    stale = _stale_landing_gap(working, today)
    return gaps + ([stale] if stale else [])


def _stale_landing_gap(landing: Sequence[PageResult], today: date) -> Gap | None:
    """`stale-landing-pages`: the ones whose date has passed or that were long left alone."""
    stale: list[tuple[date, bool, str]] = []
    for page in landing:
        when, passed = _landing_age(page, today)
        if when is not None:
            stale.append((when, passed, page.url))
    if not stale:
        return None
    stale.sort()
    n = len(stale)
    why = []
    if any(passed for _, passed, _ in stale):
        why.append(f"{_verb(n, 'promotes', 'promote')} a date that has passed")
    if not all(passed for _, passed, _ in stale):
        why.append(f"{_verb(n, 'was', 'were')} last updated over {LANDING_STALE_MONTHS} months ago")
    return Gap(
        Stage.CONVERSION,
        "",
        "stale-landing-pages",
        1,
        f"{_pages(n)} {' or '.join(why)} (the oldest from {_month(stale[0][0])}): check that "
        "their offers, prices and dates still hold, or retire them with their campaigns.",
        tuple(url for *_, url in stale[:MAX_EVIDENCE]),
    )


def _landing_age(page: PageResult, today: date) -> tuple[date | None, bool]:
    """(when a stale landing page dates from, whether by a date it names that has passed), or
    (None, False) for a page that is current or does not say."""
    named = latest_precise(page_dates(page.url, page.title))
    held = named.last if named else None
    if held is not None and held < today:
        return held, True
    updated = parse_lastmod(page.lastmod)
    if (
        held is None
        and updated is not None
        and updated < months_before(today, LANDING_STALE_MONTHS)
    ):
        return updated, False
    return None, False


def _name(page: PageResult) -> str:
    """The page's title without the site's name after its last separator, kept short."""
    title = page.title.strip()
    for separator in (_BAR, _TITLE_PART):
        cuts = list(separator.finditer(title))
        if cuts:
            title = title[: cuts[-1].start()]
            break
    name = title.strip() or page.url
    return name if len(name) <= MAX_NAME_CHARS else name[: MAX_NAME_CHARS - 1].rstrip() + "\u2026"


def _month(day: date | None) -> str:
    return f"{day:%B %Y}" if day else ""


def _age(then: date, today: date) -> str:
    """How long before the audit, in words: "3 months", "2 years"."""
    months = (today.year - then.year) * 12 + today.month - then.month - (today.day < then.day)
    if months < 1:
        return "under a month"
    if months < 24:
        return f"{months} month{'s' if months != 1 else ''}"
    return f"{months // 12} years"


def _pages(n: int) -> str:
    return f"{n} campaign landing page{'s' if n != 1 else ''}"


def _verb(n: int, one: str, many: str) -> str:
    return one if n == 1 else many
