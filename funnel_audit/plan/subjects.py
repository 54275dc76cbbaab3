"""What the plan's titles are about: the site's own topics and the names of its offerings, taken
from its page titles, cleaned, and checked so a title never pairs a template with a fragment.

A topic name from clustering ("boiler repair") is one subject; the offering pages in that topic
give more ("Air source heat pump installation", "AP automation"), read from their titles once the
site's name, a leading label ("Project:", "Case study:"), a place ("... in Springfield") and a
trailing format word ("buyer's guide") are set aside. A subject that reads like a sentence, a
question, an address or a bare word of two letters is not a subject.

Pages about people (team, staff, attorney and author pages, by their address) give no subjects;
when a site's consideration pages give fewer than MIN_OFFERINGS, its decision pages (products,
packages) are read too. `titles.clean_title` checks every subject and every planned title.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from funnel_audit.models import PageResult, Stage
from funnel_audit.plan.titles import ADDRESS, SMALL, WORD, clean_title
from funnel_audit.plan.vocabulary import LABEL_PHRASES, PAGE_WORDS, PEOPLE, PEOPLE_SECTIONS

MAX_WORDS = 6
SEPARATORS = re.compile(r"\s+[|\u2013\u2014\u00b7\u2022]\s+|\s+-\s+|\s*\|\s*")
PLACE = re.compile(
    r"\s+(?:(?:in|near|around|across)\s+[A-Z][\w'\u2019&.-]*(?:\s+[A-Z][\w'\u2019.-]*)*"
    r"|[Nn]ear [Mm]e)$"
)
REGION = re.compile(r"\s+[A-Z][a-z]+\s+[A-Z]{2}$")  # "... Springfield IL": a town and region code
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
LEADING = (
    "faqs about ",
    "faq about ",
    "guide to ",
    "about ",
    "our ",
    "the ",
    "a ",
    "an ",
    "your ",
    "all ",
)
QUESTION = re.compile(r"^(?:how|what|why|when|which|who|where|is|are|can|do|does|should|will)\b")
CONNECTORS = frozenset("and or of for with to by from in on at".split())
ARTICLES = frozenset("a an the".split())


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
    """Lower-case the first word of a subject written in sentence case, unless it is an acronym
    or a name in mid-word capitals; a subject in Title Case ("Retirement Income Planning") is a
    name and keeps its capitals."""
    first, _, rest = text.partition(" ")
    later = [w for w in rest.split() if w.lower() not in SMALL and w[:1].isalpha()]
    if first.isupper() or any(c.isupper() for c in first[1:]):
        return text
    if later and all(w[:1].isupper() for w in later):
        return text
    return first.lower() + (" " + rest if rest else "")


def _one_name(text: str, single: bool) -> bool:
    """A one-word subject allowed when asked for: capitalised, four letters or more, not a kind
    of page."""
    return single and len(text) >= 4 and text[:1].isupper() and text.lower() not in PAGE_WORDS


def _brand_words(avoid: Iterable[str]) -> set[str]:
    return {w for a in avoid for w in WORD.findall(a.lower().replace("&", " and "))}


def _names_a_person_or_place(text: str, words: Sequence[str]) -> bool:
    """An initial ("W. Smith"), a trailing region code ("Springfield IL"), a year, a comparison
    ("X vs Y"), the visitor or the firm ("we", "your"), or a trade named without an audience
    ("contract lawyer"; "software for lawyers" is fine)."""
    lowered = [w.lower() for w in words]
    people = [i for i, w in enumerate(lowered) if w in PEOPLE]
    return bool(
        re.search(r"\b[A-Z]\.\s", text)
        or re.search(r"\b(?:19|20)\d\d\b", text)
        or any(w in ("vs", "versus", "we", "us", "you", "your", "our", "my") for w in lowered)
        or any("for" not in lowered[:i] for i in people)
        or (lowered[-1].endswith(("ist", "ists")) and not lowered[-1].endswith(("list", "lists")))
    )


def clean_subject(raw: str, avoid: Iterable[str] = (), *, single: bool = False) -> str | None:
    """A usable subject from a topic name or a title segment, or None when it is not one.
    `single` lets one capitalised word of four letters or more through (a product line
    whose page title is just its name: "Gadgets")."""
    shown = "".join(ch for ch in raw if ch.isprintable() and ch not in "\u200b\u200c\u200d\ufeff")
    shown = re.sub(r"^[^\w]+", "", shown)
    text = re.sub(r"\s*[(\[][^)\]]*[)\]]", "", shown).strip(" .:;,!-\u2013\u2014")
    text = REGION.sub("", PLACE.sub("", text))
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
        or (
            len(words) == 1
            and not (text.isupper() and len(text) >= 3)
            and not _one_name(text, single)
        )
        or _names_a_person_or_place(text, words)
        or {w.lower() for w in words} <= _brand_words(avoid) | SMALL
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
    topic's own name when some page title uses it word for word (a name clustering made up from
    body text is not a subject). Offerings that differ only by a town ("Fremont X", "X Newark
    CA": area pages) are one subject, X."""
    avoid = [a for a in avoid if a]
    found: dict[str, dict[str, tuple[int, Subject]]] = {t: {} for t in topics}
    _read_offerings(pages, found, avoid, Stage.CONSIDERATION, rank=0)
    if sum(len(v) for v in found.values()) < MIN_OFFERINGS:  # a shop's products, a firm's packages
        _read_offerings(pages, found, avoid, Stage.DECISION, rank=1)
    _merge_area_variants(found)
    titles = " | ".join(  # a place a title names ("... in Springfield") is no topic
        _key(REGION.sub("", PLACE.sub("", title_segment(p.title, avoid))))
        for p in pages
        if not p.error and p.stage in (Stage.CONSIDERATION, Stage.DECISION)
    )
    offered = {k for subjects in found.values() for k in subjects}
    out: dict[str, list[Subject]] = {}
    for topic in topics:
        name = clean_subject(topic, avoid)
        if name is not None and any(
            k == _key(name) or k.startswith(_key(name) + " ") for k in offered
        ):
            continue  # an offering already says it, in the site's own words
        if name is not None and (_key(name) in titles or not any(found.values())):
            rank = 1 if len(name.split()) > 1 else 3
            old = found[topic].get(_key(name), (rank,))[0]
            found[topic][_key(name)] = (min(rank, old), Subject(name, topic))
    _drop_longer_variants(found)
    for topic in topics:
        ranked = sorted(found[topic].values(), key=lambda rs: (rs[0], len(rs[1].text), rs[1].text))
        out[topic] = [s for _, s in ranked]
    return out


TEMPLATE_TITLE = 3  # this many pages sharing one title: the title is the template's, not theirs
MIN_OFFERINGS = 3


def _read_offerings(
    pages: Sequence[PageResult],
    found: dict[str, dict[str, tuple[int, Subject]]],
    avoid: list[str],
    stage: Stage,
    rank: int,
) -> None:
    """In place: the subjects the titles of a stage's pages name (the home page and pages about
    people aside; from the address when many pages share one title)."""
    offering = [
        p
        for p in pages
        if p.topic in found
        and p.stage is stage
        and not p.error
        and urlsplit(p.url).path.strip("/")
        and not PEOPLE_SECTIONS & set(urlsplit(p.url).path.lower().split("/"))
    ]
    shared = Counter(_key(title_segment(p.title, avoid)) for p in offering)
    for page in offering:
        segment = title_segment(page.title, avoid)
        if shared[_key(segment)] >= TEMPLATE_TITLE or not segment:
            segment = slug_words(page.url)  # one title on every page: the address names it
        text = clean_subject(segment, avoid, single=True)
        if text is None or (len(text.split()) < 2 and _key(text) != _key(segment)):
            continue
        place = PLACE.search(segment) or REGION.search(segment)
        found[page.topic].setdefault(
            _key(text), (rank + 2 * bool(place), Subject(text, page.topic))
        )


def _drop_longer_variants(found: dict[str, dict[str, tuple[int, Subject]]]) -> None:
    """In place: a subject that is another one with words added at its end ("GPU acceleration
    with CUDA" beside "GPU acceleration") is left out, so two pieces never cover the same thing."""
    keys = {k for subjects in found.values() for k in subjects}
    for subjects in found.values():
        for key in [k for k in subjects if any(k != o and k.startswith(o + " ") for o in keys)]:
            del subjects[key]


def slug_words(url: str) -> str:
    """The words of an address's last path segment ("/knee-replacement.html" -> "knee
    replacement"), for pages whose titles do not tell them apart."""
    last = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    last = re.sub(r"\.[a-z0-9]{1,5}$", "", last, flags=re.IGNORECASE)
    if re.match(r"(?:index|default|home|page)\b", last, re.IGNORECASE):
        return ""  # a file name, not a name
    return " ".join(w for w in re.split(r"[-_+.\s]+", last) if w and not w.isdigit())


def _key(text: str) -> str:
    return " ".join(text.lower().split())


AREA_VARIANTS = 3  # this many subjects sharing a core beside one name make them area pages


def _merge_area_variants(found: dict[str, dict[str, tuple[int, Subject]]]) -> None:
    """In place: subjects that are one core phrase with a word before or after it (a town), when
    at least AREA_VARIANTS share the core, become the core once, in the first topic holding one."""
    cores: dict[str, list[tuple[str, str]]] = {}
    for topic, subjects in found.items():
        for key, (_, subject) in subjects.items():
            words = subject.text.split()
            titled = all(w[:1].isupper() for w in words if w.lower() not in SMALL)
            for core, dropped in (
                (" ".join(words[1:]), words[0]),
                (" ".join(words[:-1]), words[-1]),
            ):
                if len(core.split()) >= 2 and titled and dropped[:1].isupper():
                    cores.setdefault(core.lower(), []).append((topic, key))
    merged: set[str] = set()
    for core, members in sorted(cores.items(), key=lambda kv: -len(kv[1])):
        members = [(t, k) for t, k in members if k not in merged and k in found[t]]
        if len(members) < AREA_VARIANTS:
            continue
        topic, key = members[0]
        rank, first = found[topic][key]
        words = first.text.split()
        text = " ".join(words[1:]) if " ".join(words[1:]).lower() == core else " ".join(words[:-1])
        for t, k in members:
            found[t].pop(k, None)
            merged.add(k)
        found[topic][core] = (rank, Subject(_natural(text), topic))
