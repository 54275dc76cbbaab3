"""Name a page the way a client recognises it: its title and a short path, not its full URL.

A full URL in a table cell wraps a few characters a line and tells a reader less than the page's
own title. `PageRefs` maps a URL to the title the audit read for it (the site's name trimmed off
the title's ends, long titles cut at a word) and a short path: the host is dropped when it is the
audited site's, the path kept whole when short and cut in the middle when long.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from funnel_audit.models import PageResult

MAX_TITLE = 72
MAX_PATH = 44
_SEPARATORS = re.compile(r"\s+[|\u2013\u2014\u00b7~-]+\s+|:\s+")


@dataclass(frozen=True, slots=True)
class PageRef:
    """How a report shows one page: `title` ("" when the audit has none), `path` (always
    set), `href` (an http(s) link, else None) and the full `url` for a tooltip."""

    url: str
    title: str
    path: str
    href: str | None


def _printable(text: str) -> str:
    """`text` with control and format characters dropped and whitespace collapsed."""
    kept = "".join(
        " " if unicodedata.category(c) in ("Cc", "Zs", "Zl", "Zp") else c
        for c in text
        if unicodedata.category(c) not in ("Cf", "Co", "Cn", "Cs")
    )
    return " ".join(kept.split())


def _host_of(alias: str) -> str:
    """The bare host of an alias as the settings give it: `host`, `host:port` or a URL."""
    try:
        return _bare(urlsplit(alias if "://" in alias else f"//{alias}").hostname or "")
    except ValueError:
        return ""


def _bare(host: str) -> str:
    host = host.lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def short_path(url: str, home_hosts: frozenset[str] = frozenset(), limit: int = MAX_PATH) -> str:
    """The part of `url` a reader needs: path and query, the host only when it is not one of
    `home_hosts`; cut in the middle (first segment ... last segment) when over `limit`."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return _cut_middle(_printable(url), limit)
    path = _printable(unquote(parts.path, errors="replace")) or "/"
    if parts.query:
        path += "?" + _printable(unquote(parts.query, errors="replace"))
    if host and _bare(host) not in home_hosts:
        path = _bare(host) + path
    if len(path) <= limit:
        return path
    segments = path.split("/")
    last = next((s for s in reversed(segments) if s), "")
    tail = last + ("/" if path.endswith("/") else "")
    head = "/".join(segments[:2]) + "/"
    if len(head) + len(tail) + 1 <= limit and len(segments) > 3:
        return f"{head}\u2026/{tail}"
    return _cut_middle(path, limit)


def _cut_middle(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    keep = limit - 1
    return text[: keep - keep // 2] + "\u2026" + text[len(text) - keep // 2 :]


def short_title(title: str, brand: str = "", limit: int = MAX_TITLE) -> str:
    """`title` with the site's name trimmed off either end ("Pricing | Acme" -> "Pricing"),
    cut at a word boundary when over `limit` characters."""
    text = _printable(title)
    name = _printable(brand).casefold()
    cuts = list(_SEPARATORS.finditer(text)) if name else []
    if cuts and text[cuts[-1].end() :].casefold() == name:
        text = text[: cuts[-1].start()]
    elif cuts and text[: cuts[0].start()].casefold() == name:
        text = text[cuts[0].end() :]
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return (cut if len(cut) > limit // 2 else text[: limit - 1]).rstrip(" ,;:|-") + "\u2026"


class PageRefs:
    """URL -> PageRef for one audit: titles from its pages, its hosts dropped from paths."""

    def __init__(
        self, pages: Iterable[PageResult] = (), brand: str = "", hosts: Iterable[str] = ()
    ) -> None:
        pages = list(pages)
        self.titles = {p.url: p.title for p in pages if p.title}
        seen = Counter(_bare(urlsplit(p.url).hostname or "") for p in pages)
        home = {seen.most_common(1)[0][0]} if seen else set()
        self.home = frozenset({*home, *(_host_of(h) for h in hosts if h)} - {""})
        self.brand = brand

    def __call__(self, url: object, limit: int = MAX_TITLE) -> PageRef:
        """The PageRef for `url` (any value: the template may hand over anything), its title
        cut to `limit` characters."""
        text = str(url or "")
        try:
            scheme = urlsplit(text).scheme.lower()
        except ValueError:
            scheme = ""
        return PageRef(
            url=text,
            title=short_title(self.titles.get(text, ""), self.brand, max(limit, 12)),
            path=short_path(text, self.home),
            href=text if scheme in ("http", "https") else None,
        )
