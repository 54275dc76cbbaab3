"""The last check on every planned title: no address fragments (www, .html, slashes, slugs),
no word said twice (twice in a row, or a content word anywhere twice), at most MAX_TITLE
characters. Subjects are checked with it too, so a fragment never reaches a template."""

from __future__ import annotations

import re

MAX_TITLE = 90
ADDRESS = re.compile(
    r"(?:www\.|https?:|\.html?\b|\.php\b|\.aspx?\b|\.(?:com|org|net|io|co|uk)\b|[/\\_=?#@{}<>]"
    r"|\b\w+(?:-\w+){2,}\b)",
    re.IGNORECASE,
)
WORD = re.compile(r"[\w'\u2019]+")
SMALL = frozenset("a an the and or of to in on for with your you our by at from is it".split())


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
