"""The action a site asks its visitors for, read from its own conversion pages, and the call to
action each planned piece should carry.

A site's conversion path is what its conversion pages offer: a quote request, a booking, a free
trial, a demo, a donation, a purchase, a download or a plain contact form. The most-linked such
page wins (the site's own navigation says which action it pushes). Calls to action in the plan
point one stage onward: an awareness piece to the site's best consideration page on the topic, a
consideration piece to its proof or pricing, a decision piece to the conversion action, a
conversion page to a short form that says what happens next.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from funnel_audit.analyse.site_kind import LOCAL, NONPROFIT, OPEN_SOURCE, SAAS, SHOP, page_words
from funnel_audit.models import PageResult, Stage


@dataclass(frozen=True, slots=True)
class Action:
    """One kind of conversion: how to name it as a button, and what happens after it."""

    key: str
    label: str  # the button: "Request a quote"
    noun: str  # what a visitor sends: "quote request"
    cues: tuple[str, ...]


ACTIONS: tuple[Action, ...] = (
    Action("donate", "Donate", "donation", ("donate", "donation", "give now", "gift aid")),
    Action("buy", "Shop now", "order", ("cart", "basket", "checkout", "buy now", "order now")),
    Action("trial", "Start a free trial", "trial sign-up", ("free trial", "trial", "try free")),
    Action("signup", "Sign up", "sign-up", ("sign up", "signup", "register", "create account")),
    Action("demo", "Book a demo", "demo request", ("demo",)),
    Action(
        "quote",
        "Request a quote",
        "quote request",
        ("quote", "estimate", "call back", "callback", "call-back"),
    ),
    Action(
        "booking",
        "Book an appointment",
        "booking",
        ("book", "booking", "appointment", "schedule", "reserve", "consultation"),
    ),
    Action("download", "Download", "download", ("download", "install", "get started")),
    Action("contact", "Contact us", "enquiry", ("contact", "enquiry", "inquiry", "get in touch")),
)
FALLBACK = {
    LOCAL: "quote",
    SAAS: "demo",
    SHOP: "buy",
    NONPROFIT: "donate",
    OPEN_SOURCE: "download",
}
_BY_KEY = {a.key: a for a in ACTIONS}


_text = page_words  # the same words the site kind is read from


def _action_of(page: PageResult) -> Action | None:
    text = _text(page)
    for action in ACTIONS:
        if any(re.search(rf"(?<![a-z]){re.escape(c)}(?![a-z])", text) for c in action.cues):
            return action
    return None


def _rank(page: PageResult, action: Action, inbound: Counter[str]) -> tuple[int, int, str]:
    """Which page stands for an action: the one named by its first cue, then the most linked."""
    text = _text(page)
    first = next((i for i, c in enumerate(action.cues) if f" {c} " in text), len(action.cues))
    return first, -inbound[page.url], page.url


@dataclass(frozen=True, slots=True)
class ConversionPath:
    """The site's main conversion: the action and the page that takes it (when there is one)."""

    action: Action
    url: str = ""
    title: str = ""


def conversion_path(pages: Sequence[PageResult], kind: str) -> ConversionPath:
    """The action the site's conversion pages ask for most, weighted by how often the site links
    to each; the site kind's usual action when it has no conversion page to read."""
    inbound: Counter[str] = Counter(u for p in pages for u in set(p.links))
    votes: Counter[str] = Counter()
    best: dict[str, PageResult] = {}
    for page in pages:
        if page.stage is not Stage.CONVERSION or page.error is not None:
            continue
        action = _action_of(page)
        if action is None or action.key == "contact" and "thank" in _text(page):
            continue
        votes[action.key] += 1 + inbound[page.url]
        if action.key not in best or _rank(page, action, inbound) < _rank(
            best[action.key], action, inbound
        ):
            best[action.key] = page
    if votes:
        top = max(votes, key=lambda k: (votes[k], -[a.key for a in ACTIONS].index(k)))
        page = best[top]
        return ConversionPath(_BY_KEY[top], page.url, page.title)
    return ConversionPath(_BY_KEY[FALLBACK.get(kind, "contact")])


def stage_cta(stage: Stage, path: ConversionPath, onward: PageResult | None) -> str:
    """The call to action a piece at `stage` carries: one step onward, to a real page if the
    site has one."""
    named = f"\u201c{short_title(onward.title)}\u201d" if onward is not None else ""
    if stage is Stage.AWARENESS:
        return f"Next step: read {named}" if named else "Next step: the service page on this topic"
    if stage is Stage.CONSIDERATION:
        return f"Next step: see {named}" if named else "Next step: see prices and proof"
    if stage is Stage.DECISION:
        if not named or _words(path.action.label) <= _words(onward.title if onward else ""):
            return path.action.label
        return f"{path.action.label} (on {named})"
    return CONVERSION_STEP.get(
        path.action.key,
        f"{path.action.label}: a short form that says what happens after the {path.action.noun}",
    )


CONVERSION_STEP = {  # actions that are not a form to fill in
    "buy": "Shop now: a short checkout with delivery, returns and payment options in plain view",
    "download": "Download: one click, with the install steps on the same page",
    "donate": "Donate: a short form that shows what each amount pays for",
}


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]{3,}", text.lower()))


def short_title(title: str, limit: int = 60) -> str:
    """A page title without the site-name suffix, cut at a word boundary."""
    head = re.split(r"\s+[|\u2013\u2014\u00b7]\s+|\s+-\s+", title.strip(), maxsplit=1)[0]
    if len(head) <= limit:
        return head
    return head[:limit].rsplit(" ", 1)[0] + "\u2026"
