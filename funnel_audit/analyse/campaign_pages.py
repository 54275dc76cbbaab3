"""Which pages are events (webinars, workshops, meetups, conferences) and which are landing pages
for paid campaigns, read from the conventions sites share rather than any one site's words.

An event page is named as one: a section such as `/events/` or `/webinars/`, a title that opens
"Webinar:", a word that only means an event ("webinar", "seminar", "meetup", "masterclass") on a
page that is not an article, a weaker word ("event", "workshop", "conference", "summit") with a
date or on a registration page, or structured data that declares an `Event` with a sign-up form.
"Workshop" also means a garage, so it needs a date, a section or a title prefix.

A landing page is a page made for a campaign rather than for browsing: under a campaign address
(`/lp/`, `/landing/`, `/go/`, `/campaigns/`, `/offers/`, `/promo/`, or a host such as `lp.`), or
kept out of search (`noindex`) or out of the site's own links (an orphan) while it asks for the
action (a conversion page with its form). Confirmation pages ("thank you", "/ty/", "registration
confirmed") and the page families (legal, careers, archives, checkout) are neither.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from urllib.parse import unquote, urlsplit

from funnel_audit.classify.families import page_family
from funnel_audit.crawl.urls import page_key
from funnel_audit.models import PageResult, Stage

# words that name an event whatever the site sells
STRONG_WORDS = frozenset(
    "webinar webinars seminar seminars meetup meetups masterclass masterclasses hackathon "
    "hackathons livestream livestreams webcast webcasts symposium symposia".split()
)
STRONG_PHRASES = (
    "open day",
    "open days",
    "open house",
    "demo day",
    "info session",
    "information session",
    "live q a",
    "ask me anything",
    "fireside chat",
    "roundtable",
)
# words that name an event only with more evidence; "workshop" is also a garage, a studio
WEAK_WORDS = frozenset(
    "event events workshop workshops conference conferences summit summits bootcamp bootcamps "
    "expo expos".split()
)
AMBIGUOUS_WORDS = frozenset({"workshop", "workshops"})
CAMPAIGN_SEGMENTS = frozenset(
    "lp lps landing landings landing-page landing-pages landingpage landingpages go campaign "
    "campaigns offer offers special-offer special-offers promo promos promotion promotions "
    "ppc".split()
)
CAMPAIGN_HOSTS = frozenset({"lp", "go", "landing", "offers", "promo", "campaign", "campaigns"})
CONFIRMATION_WORDS = frozenset(
    "ty thanks thankyou confirmed confirmation registered submitted submission".split()
)
# a quick look before the full reading: every word and phrase above, and every campaign segment
# and host, contains one of these (so a page without any is neither an event nor a campaign page)
_EVENT_STEMS = {*STRONG_WORDS, *WEAK_WORDS, *(p.split()[0] for p in STRONG_PHRASES)}
_EVENTISH = re.compile(
    "|".join(sorted(w for w in _EVENT_STEMS if not any(o != w and o in w for o in _EVENT_STEMS)))
)
_CAMPAIGNISH = re.compile(
    r"[/.](?:" + "|".join(sorted(CAMPAIGN_SEGMENTS | CAMPAIGN_HOSTS, key=len)) + r")\b", re.I
)
LANDING_MIN_WORDS = 40  # under this a noindex or orphan page is a fragment or a redirect stub
_EXTENSION = re.compile(r"\.(?:html?|php|aspx?)$", re.I)
_NOT_WORD = re.compile(r"[^a-z0-9]+")
_CONFIRMED_TITLE = re.compile(
    r"^(?:thank|thanks)\b|\bconfirmed\b|\byou(?:'|\u2019)?re registered\b|\byou are registered\b|"
    r"\bregistration (?:complete|received)\b",
    re.I,
)
_FAMILY_REASON = "family: "  # the site-level pass's reason for a family (site_pass.py)
_EVENT_SCHEMA = frozenset({"schema:event", "schema:educationevent", "schema:businessevent"})
_FORM_REASON = "form:"


def _words(text: str) -> list[str]:
    return _NOT_WORD.sub(" ", text.lower()).split()


def _segments(url: str) -> list[str]:
    try:
        path = unquote(urlsplit(url).path)
    except ValueError:
        return []
    return [_EXTENSION.sub("", s).lower() for s in path.split("/") if s]


def _has_phrase(words: Sequence[str], phrases: Sequence[str]) -> bool:
    text = f" {' '.join(words)} "
    return any(f" {phrase} " in text for phrase in phrases)


def is_confirmation(page: PageResult) -> bool:
    """A page shown after a form is sent: "thank you", "/ty/", "registration confirmed"."""
    segs = _segments(page.url)
    leaf = _words(segs[-1]) if segs else []
    if CONFIRMATION_WORDS.intersection(leaf) or leaf[:1] == ["thank"]:
        return True
    return bool(_CONFIRMED_TITLE.search(page.title.strip()))


def _ordinary(page: PageResult, *, excluded: bool = False) -> bool:
    """A page read without error, in the funnel (or set aside, with `excluded`), and in none of
    the recognised families."""
    return (
        page.stage is not None
        and (excluded or page.stage is not Stage.EXCLUDED)
        and page.error is None
        and page_family(page.url, page.title) is None
        and not is_confirmation(page)
    )


def might_be_event(page: PageResult) -> bool:
    """Whether the page is worth reading closely as an event page (a quick, loose test)."""
    if any("event" in r for r in page.reasons if r.startswith((_FAMILY_REASON, "schema:"))):
        return True
    return bool(_EVENTISH.search(f"{page.url} {page.title}".lower()))


def event_evidence(page: PageResult, dated: bool) -> str:
    """Why the page is an event page ("" when it is not one). `dated` says whether its title or
    address names a date with its year. A past event's page may be set aside as an
    announcement: it still counts, on the stricter evidence an article needs."""
    if not might_be_event(page) or not _ordinary(page, excluded=True):
        return ""
    declared = any(r.startswith(_FAMILY_REASON) and "event" in r for r in page.reasons)
    if declared or _EVENT_SCHEMA.intersection(page.reasons):
        return "structured data declares an event"
    segs = _segments(page.url)
    for depth, seg in enumerate(reversed(segs)):
        # a garage's /workshop/ page is no event; a /workshops/ section holding pages is
        if seg in STRONG_WORDS or (seg in WEAK_WORDS and (seg not in AMBIGUOUS_WORDS or depth)):
            return f"address /{seg}/"
    title = page.title.strip().lower()
    first = _words(title)[:1]
    if first and (first[0] in STRONG_WORDS or first[0] in WEAK_WORDS):
        marks = ":" if first[0] in AMBIGUOUS_WORDS else ":\u2013\u2014|-"
        if re.match(rf"{re.escape(first[0])}\s*[{marks}]", title):
            return f"title opens with \u201c{first[0]}\u201d"
    url_words = [w for seg in segs for w in _words(seg)]
    all_words = url_words + _words(title)
    article = page.stage in (Stage.AWARENESS, Stage.EXCLUDED)
    strong = STRONG_WORDS.intersection(all_words) or _has_phrase(all_words, STRONG_PHRASES)
    if strong and not article:
        return "named as an event in its title or address"
    weak = WEAK_WORDS.intersection(all_words)
    if weak and not article:
        if dated:
            return "an event with its date"
        if page.stage is Stage.CONVERSION and not weak <= AMBIGUOUS_WORDS:
            return "registration for an event"
    return ""


def campaign_address(url: str) -> str:
    """The campaign convention in a page's address (`/lp/`, `go.` host), or ""."""
    if not _CAMPAIGNISH.search(url):
        return ""
    for seg in _segments(url):
        if seg in CAMPAIGN_SEGMENTS:
            return f"/{seg}/"
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    label = host.split(".", 1)[0]
    if label in CAMPAIGN_HOSTS and host.count(".") >= 2:
        return f"{label}. host"
    return ""


def landing_evidence(page: PageResult, orphans: Collection[str]) -> str:
    """Why the page is a campaign landing page ("" when it is not one). A page under a campaign
    address counts even when it answers with an error: that is where an ad sends people."""
    where = campaign_address(page.url)
    if where and page.error is not None and (page.status or 0) >= 400:
        return f"campaign address {where}"
    if not (where or page.noindex or page.url in orphans) or not _ordinary(page):
        return ""
    if where:
        return f"campaign address {where}"
    if page.word_count < LANDING_MIN_WORDS:
        return ""
    asks = page.stage is Stage.CONVERSION
    orphan = page.url in orphans
    if page.noindex and (asks or orphan):
        return "kept out of search (noindex)" + (", linked from no page" if orphan else "")
    if orphan and asks:
        return "a conversion page no other page links to"
    return ""


def asks_for_action(page: PageResult, conversion_keys: Collection[str]) -> bool:
    """Whether a landing page leads to the action: it is a conversion page, carries a lead form,
    or links to a conversion page (one of `conversion_keys`, by `path_key`). A page stored
    without its forms recorded is given the benefit of the doubt."""
    if page.lead_form is not False or page.stage is Stage.CONVERSION:
        return True
    if any(r.startswith(_FORM_REASON) for r in page.reasons):
        return True
    return any(path_key(link) in conversion_keys for link in page.links)


def path_key(url: str) -> str:
    """A page's identity without its host: links to the live host and to the audited copy of the
    same page match (the crawl keeps only links to hosts the site calls its own)."""
    key = page_key(url)
    try:
        parts = urlsplit(key)
    except ValueError:
        return key
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
