"""The site's name, read from the site itself: never its host, port or IP address.

Each page gives a few signals while it is extracted (`extract.py`): its `og:site_name` or the name
of the schema.org Organization in its JSON-LD, and the alt text (or aria-label) of its logo.
`BrandVotes` counts them as pages stream through the pipeline, in bounded counters; `find_brand`
then weighs them with the title segment most pages share and the home page's title. A name that
several signals agree on wins; otherwise the strongest signal found. When nothing names the site
the brand is empty and the calendar uses the unnamed wording of each title (catalogue.py:
"Our guarantee, in plain words", "Why choose us for ...").

Everything here came from somebody's website, so every string is clipped before it is looked at.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from urllib.parse import urlsplit

MAX_NAME_CHARS = 60
MAX_NAME_WORDS = 6
MAX_RAW_CHARS = 300  # what is read of any one string from a page before it is cleaned
MAX_KEYS = 200  # distinct names a BrandVotes counter keeps; later newcomers are not counted

# a title is split into segments at a spaced separator: "Pricing | Ledgerloop", "A — B", "A : B"
TITLE_SEPARATORS = re.compile(r"\s[|\u2013\u2014:\u00b7\u2022\u00bb/-]\s|\s?[|\u2022\u00bb]\s?")
_WS = re.compile(r"\s+")
_IPV4 = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b")
_HOSTLIKE = re.compile(
    r"://|\bwww\.|\blocalhost\b|@|:\d{2,5}\b|\[[0-9a-f:]+\]|"
    r"\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|org|net|io|co|uk|de|fr|au|ca|us|info|biz|app|dev|"
    r"example|local|test|invalid|localhost|ai|nl|es|it|eu|ie|nz|in|me|tv|shop|store)\b",
    re.I,
)
_GENERIC = frozenset(
    {
        "home",
        "homepage",
        "home page",
        "logo",
        "site logo",
        "company logo",
        "main logo",
        "header logo",
        "brand logo",
        "image",
        "img",
        "icon",
        "menu",
        "navigation",
        "nav",
        "search",
        "back to home",
        "go to homepage",
        "go home",
        "index",
        "untitled",
        "untitled document",
        "welcome",
        "page not found",
        "not found",
        "error",
        "404",
        "default title",
        "skip to content",
        "skip to main content",
        "open menu",
        "close menu",
        "toggle navigation",
    }
)
_GENERIC_WORDS = frozenset("home homepage logo icon image img menu index untitled".split())
_EDGE_WORDS = re.compile(
    r"^(?:(?:the\s+)?logo\s+(?:of|for)\s+|welcome\s+to\s+|go\s+to\s+|"
    r"back\s+to\s+)|\s+(?:logo|home\s*page|homepage|home|icon)$",
    re.I,
)
_HOME_PATHS = frozenset(
    {
        "",
        "/",
        "/index.html",
        "/index.htm",
        "/index.php",
        "/home",
        "/home.html",
        "/default.html",
        "/default.aspx",
    }
)


def clean_name(raw: str) -> str:
    """A candidate name as a person would write it, or "" when it is no name at all: a host, an
    address, a generic label ("Home", "Logo"), a long sentence or nothing readable."""
    text = _WS.sub(" ", raw[:MAX_RAW_CHARS]).strip(" \t\"'|:-\u2013\u2014\u00b7")
    for _ in range(2):
        text = _EDGE_WORDS.sub("", text).strip(" \"'|:-\u2013\u2014\u00b7")
    if not text or len(text) > MAX_NAME_CHARS or len(text.split()) > MAX_NAME_WORDS:
        return ""
    if not any(ch.isalpha() for ch in text) or not text.isprintable():
        return ""
    if is_hostlike(text):
        return ""
    lowered = text.casefold()
    if lowered in _GENERIC or all(w in _GENERIC_WORDS for w in lowered.split()):
        return ""
    return text


def is_hostlike(text: str) -> bool:
    """Whether `text` is or holds a host name, an address, a port or an IP address."""
    return bool(_IPV4.search(text) or _HOSTLIKE.search(text))


def _key(name: str) -> str:
    return " ".join(re.findall(r"\w+", name.casefold()))


def title_segments(title: str) -> list[str]:
    """A page title's parts: "Pricing and plans | Ledgerloop" -> ["Pricing and plans",
    "Ledgerloop"]."""
    return [p.strip() for p in TITLE_SEPARATORS.split(title[:MAX_RAW_CHARS]) if p.strip()]


def is_home(url: str) -> bool:
    """A home page URL (`/`, `/index.html` ...): its title most likely names the site."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.path.lower() in _HOME_PATHS and not parts.query


class BrandVotes:
    """What the pages say the site is called, counted as they stream by. Each counter keeps at
    most MAX_KEYS names, so a site with a different og:site_name on every page costs nothing."""

    def __init__(self) -> None:
        self.site_names: Counter[str] = Counter()
        self.logos: Counter[str] = Counter()
        self.home_titles: Counter[str] = Counter()

    def add(self, url: str, title: str, site_name: str = "", logo_alt: str = "") -> None:
        """Count one page's votes: og:site_name, the logo's alt text, a home page's title."""
        _vote(self.site_names, site_name)
        _vote(self.logos, logo_alt)
        if title and is_home(url):
            _vote(self.home_titles, title[:MAX_RAW_CHARS], clean=False)


def _vote(counter: Counter[str], raw: str, *, clean: bool = True) -> None:
    name = clean_name(raw) if clean else raw
    if name and (name in counter or len(counter) < MAX_KEYS):
        counter[name] += 1


def common_title_segment(titles: Sequence[str]) -> str:
    """The title segment most pages share ("Pricing | Ledgerloop" -> "Ledgerloop"), if it is on
    at least two pages and 40% of them."""
    counts: Counter[str] = Counter()
    for title in titles:
        counts.update({p for p in title_segments(title) if 2 <= len(p) <= MAX_NAME_CHARS})
    if not counts:
        return ""
    # the most common; among equals the shortest, then alphabetically first (never page order)
    for segment, n in sorted(counts.items(), key=lambda kv: (-kv[1], len(kv[0]), kv[0])):
        if n < max(2, 0.4 * len(titles)):
            break
        name = clean_name(segment)
        if name:
            return name
    return ""


def home_title_name(title: str) -> str:
    """The name in a home page's title: "Acme — Widgets for everyone" -> "Acme", "Home | Acme"
    -> "Acme", "Welcome to Acme" -> "Acme"; a lone long sentence names nothing."""
    names = [n for n in map(clean_name, title_segments(title)) if n]
    if not names:
        return ""
    if len(names) == 1:
        return names[0] if len(names[0].split()) <= 4 else ""
    return min(names, key=lambda n: (len(n), n))


def _most_common(counter: Counter[str]) -> str:
    if not counter:
        return ""
    return min(counter.items(), key=lambda kv: (-kv[1], kv[0]))[0]


def find_brand(titles: Sequence[str], votes: BrandVotes | None = None) -> str:
    """The site's name from its pages, or "" when nothing on them names it.

    Signals, strongest first: og:site_name or the JSON-LD Organization (`votes.site_names`), the
    title segment most pages share, the logo's alt text, the home page's title. A name more
    signals agree on beats a stronger signal alone."""
    votes = votes or BrandVotes()
    home = _most_common(votes.home_titles)
    found = [
        _most_common(votes.site_names),
        common_title_segment(titles),
        _most_common(votes.logos),
        home_title_name(home) if home else "",
    ]
    return choose(found)


def choose(candidates: Sequence[str]) -> str:
    """The candidate (strongest first, "" for a missing signal) most signals agree on; among
    equals the strongest."""
    agree: dict[str, list[int]] = {}
    for rank, name in enumerate(candidates):
        if name:
            agree.setdefault(_key(name), []).append(rank)
    if not agree:
        return ""
    best = min(agree.values(), key=lambda ranks: (-len(ranks), ranks[0]))
    return candidates[best[0]]


def host_words(url: str) -> frozenset[str]:
    """The words of a site's host ("https://www.acme-heating.co.uk:8080/" -> acme, heating, co,
    uk), which must never name a topic nor the site."""
    try:
        host = urlsplit(url if "://" in url else f"//{url}").hostname or ""
    except ValueError:
        host = ""
    return frozenset(w for w in re.split(r"[^a-z0-9]+", host.lower()) if w and w != "www")
