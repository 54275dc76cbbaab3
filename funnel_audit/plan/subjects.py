"""What the plan's titles are about: the site's own topics and the names of its offerings, taken
from its page titles, cleaned, and checked so a title never pairs a template with a fragment.

A topic name from clustering ("boiler repair") is one subject; the offering pages in that topic
give more ("Air source heat pump installation", "AP automation"), read from their titles once the
site's name, a leading label ("Project:", "Case study:"), a place ("... in Springfield") and a
trailing format word ("buyer's guide") are set aside. A subject that reads like a sentence, a
question, an address or a bare word of two letters is not a subject.

`clean_title` is the last check on every planned title: no address fragments (www, .html, slashes,
slugs), no word said twice, nothing over 90 characters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from funnel_audit.models import PageResult, Stage

MAX_WORDS = 6
MAX_TITLE = 90
SEPARATORS = re.compile(r"\s+[|\u2013\u2014\u00b7\u2022]\s+|\s+-\s+|\s*\|\s*")
PLACE = re.compile(
    r"\s+(?:in|near|around|across)\s+[A-Z][\w'\u2019&.-]*(?:\s+[A-Z][\w'\u2019.-]*)*$"
)
LABEL_PHRASES = frozenset(
    " ".join(line.split())
    for line in (
        "project",
        "projects",
        "case study",
        "customer story",
        "success story",
        "webinar",
        "blog",
        "news",
        "guide",
        "faq",
        "faqs",
        "overview",
        "product overview",
        "home",
        "home page",
        "welcome",
        "services",
        "our services",
        "about",
        "about us",
        "contact",
        "contact us",
        "contact sales",
        "thank you",
        "thanks",
        "pricing",
        "prices",
        "fixed prices",
        "pricing and plans",
        "plans",
        "reviews",
        "customer reviews",
        "testimonials",
        "careers",
        "integrations",
        "solutions",
        "resources",
        "ebook",
        "free ebook",
        "features",
        "platform",
        "product",
        "products",
        "shop",
        "store",
        "help",
        "support",
        "docs",
        "documentation",
        "login",
        "log in",
        "sign up",
        "page not found",
        "book a demo",
        "request a quote",
        "start your free trial",
        "book an engineer",
    )
)
TAILS = (
    "buyer's guide",
    "buyers guide",
    "guide",
    "ebook",
    "checklist",
    "explained",
    "faq",
    "overview",
    "webinar",
    "case study",
    "glossary",
    "playbook",
    "calculator",
    "reviews",
    "pricing",
    "prices",
    "page",
    "services",
)
LEADING = ("our ", "the ", "a ", "an ", "your ", "all ")
QUESTION = re.compile(r"^(?:how|what|why|when|which|who|where|is|are|can|do|does|should|will)\b")
ADDRESS = re.compile(
    r"(?:www\.|https?:|\.html?\b|\.php\b|\.aspx?\b|\.(?:com|org|net|io|co|uk)\b|[/\\_=?#@{}<>]"
    r"|\b\w+(?:-\w+){2,}\b)",
    re.IGNORECASE,
)
WORD = re.compile(r"[\w'\u2019]+")
# who does the work rather than what it is: "plumber and heating engineer" is a trade, not a topic
PEOPLE = frozenset(
    """engineer engineers plumber plumbers electrician electricians lawyer lawyers attorney
    attorneys solicitor solicitors accountant accountants consultant consultants adviser advisers
    advisor advisors specialist specialists contractor contractors agency agencies company
    companies firm firms team teams expert experts professionals technician technicians dentist
    dentists doctor doctors therapist therapists provider providers""".split()
)
# words that name a kind of page rather than what a business offers
PAGE_WORDS = frozenset(
    """booking bookings pricing prices price plans contact reviews review faq faqs about services
    service support help account login careers jobs news blog home terms privacy policy shop cart
    checkout basket delivery returns overview resources team""".split()
)
CONNECTORS = frozenset("and or of for with to by from in on at".split())
ARTICLES = frozenset("a an the".split())
SMALL = frozenset("a an the and or of to in on for with your you our by at from is it".split())


@dataclass(frozen=True, slots=True)
class Subject:
    """Something a planned piece can be about, and the topic it belongs to."""

    text: str  # natural case, no leading capital unless it is an acronym or a name
    topic: str

    @property
    def capitalised(self) -> str:
        """The subject at the start of a title."""
        return self.text[:1].upper() + self.text[1:]


def _natural(text: str) -> str:
    """Lower-case the first word unless it is an acronym or a name in mid-word capitals."""
    first, _, rest = text.partition(" ")
    if first.isupper() or any(c.isupper() for c in first[1:]):
        return text
    return first.lower() + (" " + rest if rest else "")


def clean_subject(raw: str, avoid: Iterable[str] = ()) -> str | None:
    """A usable subject from a topic name or a title segment, or None when it is not one."""
    text = re.sub(r"\s*[(\[][^)\]]*[)\]]", "", raw).strip(" .:;,!-\u2013\u2014")
    text = PLACE.sub("", text)
    low = text.lower()
    for lead in LEADING:
        if low.startswith(lead):
            text, low = text[len(lead) :], low[len(lead) :]
    for tail in TAILS:
        if low.endswith(" " + tail):
            text, low = text[: -len(tail) - 1].rstrip(), low[: -len(tail) - 1].rstrip()
            break
    words = WORD.findall(text)
    if (
        not words
        or words[-1].lower() in CONNECTORS
        or any(w.lower() in ARTICLES for w in words[1:])
        or len(words) > MAX_WORDS
        or len(text) < 3
        or (len(words) == 1 and not (text.isupper() and len(text) >= 3))
        or words[-1].lower() in PEOPLE
        or any(ch in text for ch in '?!,;"\u201c\u201d')
        or QUESTION.match(low)
        or ADDRESS.search(text)
        or " ".join(low.split()) in LABEL_PHRASES
        or all(w.lower() in SMALL or w.lower() in PAGE_WORDS for w in words)
        or any(a and a.lower() in low for a in avoid)
        or not clean_title(text)
    ):
        return None
    return _natural(" ".join(text.split()))


def title_segment(title: str, avoid: Iterable[str]) -> str:
    """The part of a page title that names the page: the site's name and a leading label
    ("Project: ...") set aside."""
    names = [a.lower() for a in avoid if a]
    parts = [p for p in SEPARATORS.split(title) if p.strip()]
    parts = [p for p in parts if not any(n in p.lower() for n in names)] or parts[:0]
    if not parts:
        return ""
    head = parts[0].strip()
    label, colon, rest = head.partition(": ")
    if colon and " ".join(label.lower().split()) in LABEL_PHRASES:
        return rest
    return label if colon else head


def topic_subjects(
    pages: Sequence[PageResult], topics: Sequence[str], avoid: Iterable[str]
) -> dict[str, list[Subject]]:
    """Per topic, its subjects best first: names of the offerings its consideration pages present
    (the home page aside; names of two words or more, those without a place first), then the
    topic's own name."""
    avoid = [a for a in avoid if a]
    found: dict[str, dict[str, tuple[int, Subject]]] = {t: {} for t in topics}
    for page in pages:
        if (
            page.topic not in found
            or page.stage is not Stage.CONSIDERATION
            or page.error
            or urlsplit(page.url).path.strip("/") == ""
        ):
            continue
        segment = title_segment(page.title, avoid)
        text = clean_subject(segment, avoid)
        if text is None or len(text.split()) < 2:
            continue
        key = " ".join(text.lower().split())
        rank = 2 if PLACE.search(segment) else 0
        found[page.topic].setdefault(key, (rank, Subject(text, page.topic)))
    out: dict[str, list[Subject]] = {}
    for topic in topics:
        name = clean_subject(topic, avoid)
        if name is not None:
            key = " ".join(name.lower().split())
            rank = 1 if len(name.split()) > 1 else 3
            found[topic][key] = (min(rank, found[topic].get(key, (rank,))[0]), Subject(name, topic))
        ranked = sorted(found[topic].values(), key=lambda rs: (rs[0], len(rs[1].text), rs[1].text))
        out[topic] = [s for _, s in ranked]
    return out


def _stem(word: str) -> str:
    w = word.lower().strip("'\u2019")
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith("s") and not w.endswith(("ss", "us", "is")) and len(w) > 3:
        return w[:-1]
    return w


def clean_title(title: str) -> bool:
    """A title fit to publish: no address fragments, no word said twice (any word twice in a row,
    or a content word anywhere twice), not over MAX_TITLE characters."""
    if not title.strip() or len(title) > MAX_TITLE or ADDRESS.search(title):
        return False
    words = WORD.findall(title)
    lowered = [w.lower() for w in words]
    if any(a == b for a, b in zip(lowered, lowered[1:], strict=False)):
        return False
    content = [_stem(w) for w in lowered if w not in SMALL and len(w) > 2]
    return len(content) == len(set(content))
